#!/bin/sh
# make demo: start a private Dovecot and Postfix on loopback (left running),
# send them the sample inputs, run intaked, show what happened.
# make demo-stop: stop those servers.
#   demo.sh [BUILD]          run the demo (contrib/demo.py)
#   demo.sh stop [BUILD]     stop its servers
# The demo lives in $DEMO_DIR (default BUILD/demo); ports from
# $TESTBED_PORT_BASE (default 25000).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ "${1:-}" = stop ]; then
  exec python3 "$here/demo.py" --stop "${2:-build}"
fi
exec python3 "$here/demo.py" "${1:-build}"
