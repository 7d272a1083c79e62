# upgrade.sh's stop: under systemd.

systemctl stop ejabberd
