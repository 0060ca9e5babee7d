#!/bin/sh
# make demo: start a private Dovecot and Postfix on loopback, append sample
# inputs to the intake mailbox, run intaked --once, show what happened.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
exec python3 "$here/demo.py" "${1:-build}"
