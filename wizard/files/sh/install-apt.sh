# scripts/install.sh with apt (Debian's package). The package's own questions (host name,
# admin account) are for a config this deployment replaces: apt asks nothing. The package
# lists are updated when apt cannot install from them.

if [ "$(id -u)" -ne 0 ]; then
    echo "run this as root (sudo sh $0)" >&2
    exit 1
fi
DEBIAN_FRONTEND=noninteractive
export DEBIAN_FRONTEND
# shellcheck disable=SC2086 # the package names are meant to be split
if ! apt-get install -y $packages; then
    echo "updating the package lists, then trying again"
    apt-get update
    apt-get install -y $packages
fi
