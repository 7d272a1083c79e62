"""config/ejabberd.yml among the deployment's files: rendered (and merged) by ``wizard.ejabberd_yml.render``."""

from __future__ import annotations

from wizard.ejabberd_yml.render import document, merge_base, render

__all__ = ["document", "merge_base", "render"]
