# scripts/install.sh with pacman (Arch's package).

if [ "$(id -u)" -ne 0 ]; then
    echo "run this as root (sudo sh $0)" >&2
    exit 1
fi
# shellcheck disable=SC2086 # the package names are meant to be split
pacman -S --needed --noconfirm $packages
