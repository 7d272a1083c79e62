# upgrade.sh's stop: under supervisord (Uberspace).

supervisorctl stop ejabberd
