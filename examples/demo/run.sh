#!/bin/sh
# cadence on a demo calendar: a weekly 1:1 whose next instance was cancelled.
# Needs `cadence` on PATH (see README). Everything it writes stays in this folder.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
export CADENCE_CONFIG="$here/cadence.toml"
rm -rf state maildir agendas
# Alice's agenda as the last 1:1 left it: two open action items to carry over.
mkdir agendas && cp alice-agenda-so-far.md agendas/alice-at-example.com.md

python3 make_feed.py calendar.ics
cadence person add alice@example.com --name "Alice Example" --every weekly \
  --day tue --time 10:00 --duration 30m --kind report
cadence person add bob@example.com --name "Bob Builder" --every biweekly \
  --day thu --time 14:00 --duration 30m --kind peer
echo
cadence sync
echo
cadence proposals list
echo
cadence report
echo
echo "The proposal email:  $(ls "$here"/maildir/new/*)"
echo "Alice's agenda:      $(cadence agenda url alice@example.com)"
