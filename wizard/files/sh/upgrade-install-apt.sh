# upgrade.sh's install: apt (noninteractive, so ucf keeps the live ejabberd.yml, the wizard's).

apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --only-upgrade ejabberd
