"""The files of a deployment, each a pure function of the answers: zone, service, web, README, scripts.

The scripts' constant bodies are ``sh/NAME.sh`` beside them; values enter a script only through
the quoted assignments at its top. ``wizard.deployment.render`` gathers every file into a plan,
and ``wizard.ejabberd_yml`` writes config/ejabberd.yml.
"""
