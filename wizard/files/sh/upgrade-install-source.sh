# upgrade.sh's install: the source build of install.sh.

sh "$here/scripts/install.sh"
