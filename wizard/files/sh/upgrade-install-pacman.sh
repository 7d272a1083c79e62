# upgrade.sh's install: pacman.

pacman -Syu --needed --noconfirm ejabberd
