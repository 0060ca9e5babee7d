#!/usr/bin/env bash
# Unpack the other IMAP servers and MTA of the server matrix (Cyrus IMAP,
# Courier IMAP, OpenSMTPD) from their Debian packages into a private tree,
# without installing them: Debian's cyrus-imapd and courier-imap conflict
# with dovecot-imapd (all provide imap-server), and opensmtpd with postfix,
# so "apt-get install" of one would REMOVE the bed's Dovecot or Postfix.
# tests/testbed/altbed.sh runs them from here in a private mount namespace.
#
# usage: fetch-servers.sh [DIR]     (default $INTAKED_SERVERS_DIR or
#                                    /opt/intaked-testbed/servers)
# DIR must not be under /etc, /usr, /var, /run or /dev (altbed.sh lays it
# over them). Leaves DIR/cyrus, DIR/courier and DIR/opensmtpd, each a root file system
# of the packages' files (DIR/NAME/usr/..., DIR/NAME/etc/...). Idempotent:
# does nothing when the same package versions are already unpacked. Their
# shared libraries come from plain Debian library packages, which conflict
# with nothing (contrib/install-deps.sh installs them, then runs this).
set -euo pipefail
export LC_ALL=C

dir=${1:-${INTAKED_SERVERS_DIR:-/opt/intaked-testbed/servers}}

declare -A PKGS=(
  [cyrus]="cyrus-imapd cyrus-common sasl2-bin"
  [courier]="courier-imap courier-base courier-authlib courier-authdaemon courier-authlib-userdb libcourier-unicode4"
  [opensmtpd]="opensmtpd"
)
# What the unpacked programs link with beyond the bed's own packages (found
# with ldd); keep in step with contrib/install-deps.sh's PACKAGES.
LIBS="libical3 libxapian30 libidn12 libltdl7 libgamin0"

die() { echo "fetch-servers: $*" >&2; exit 1; }

# versions: "name=version" of every package, as apt would download them.
versions() {
  local all=(${PKGS[cyrus]} ${PKGS[courier]} ${PKGS[opensmtpd]}) out
  # One apt-cache call (each costs ~1 s): "p=v" per package, in its order.
  out=$(apt-cache policy "${all[@]}" 2>/dev/null |
    awk '/^[^ ].*:$/ {p = substr($0, 1, length($0) - 1)} /^  Candidate: / && $2 != "(none)" {print p "=" $2}')
  [[ $(wc -l <<<"$out") == "${#all[@]}" ]] || return 1
  echo "$out"
}

want=$(versions) || {
  [[ $(id -u) == 0 ]] || die "apt knows no candidate for the server packages (run apt-get update as root)"
  apt-get -o DPkg::Lock::Timeout=900 update -q >/dev/null
  want=$(versions) || die "apt knows no candidate for: ${PKGS[*]}"
}
if [[ -s $dir/versions && $(<"$dir/versions") == "$want" ]]; then
  exit 0
fi

missing=
for l in $LIBS; do
  dpkg-query -W -f='${Status}' "$l" 2>/dev/null | grep -q "install ok installed" || missing="$missing $l"
done
[[ -z $missing ]] || die "missing libraries:$missing (sh contrib/install-deps.sh test)"

mkdir -p "$dir"
tmp=$(mktemp -d "$dir/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp" # apt's _apt user downloads into it
for name in "${!PKGS[@]}"; do
  mkdir "$tmp/$name" "$tmp/$name.debs"
  # shellcheck disable=SC2086
  (cd "$tmp/$name.debs" && apt-get download -q ${PKGS[$name]} >/dev/null 2>"$tmp/$name.err") ||
    die "apt-get download ${PKGS[$name]} failed: $(cat "$tmp/$name.err")"
  for deb in "$tmp/$name.debs"/*.deb; do dpkg-deb -x "$deb" "$tmp/$name"; done
done
for name in "${!PKGS[@]}"; do
  rm -rf "${dir:?}/$name"
  mv "$tmp/$name" "$dir/$name"
done
echo "$want" >"$dir/versions"
echo "fetch-servers: unpacked into $dir: $(echo $want)"
