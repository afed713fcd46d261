#!/bin/bash
# Records the replies of real mail clients used by the reply corpus (recorded_*.eml beside this
# folder): mutt, neomutt and alpine from Debian, each run in tmux and driven with send-keys as a
# person would (r/R to reply, y to send), with edit.py standing in for the person typing in the
# editor (top-posted, bottom-posted or inline answers) and capture.sh for sendmail.
#
#   apt-get install -y mutt neomutt alpine tmux
#   tests/data/replies/clients/record.sh            # then python3 tests/data/replies/make_world.py
#
# Alpine shows a greeting screen on its first start with a new configuration: the script
# dismisses it. The Date header of a recorded mail is the clock of the machine that recorded it.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
export WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
for f in inbox.mbox edit.py capture.sh muttrc pinerc drive_mutt.sh drive_alpine.sh sig.txt; do
  sed "s#@WORK@#$WORK#g" "$HERE/$f" > "$WORK/$f"
done
chmod +x "$WORK"/*.sh "$WORK/edit.py"
cd "$WORK"

SIG="set signature=\"$WORK/sig.txt\""
FR='set attribution="Le %{%d/%m/%Y à %H:%M}, %n a écrit :"'
ASIG="signature-file=$WORK/sig.txt"
AFR='reply-leadin=Le _DATE_, _FROM_ a écrit :'
AT_BOTTOM='feature-list=enable-alternate-editor-implicitly,quell-user-lookup-in-passwd-file,disable-keyboard-lock-message,quell-lock-failure-warnings,signature-at-bottom'
INL='{"mode":"inline","answers":[["Which version of the app do you use?","5.2.1, installed last Friday."],["Does it happen on every device?","Only on the laptop; the phone keeps syncing."]]}'
INLFR='{"mode":"inline","answers":[["Which version of the app do you use?","La 5.2.1, installée vendredi."],["Does it happen on every device?","Seulement sur le portable."]]}'
top() { printf '{"mode":"top","text":"%s"}' "$1"; }
bottom() { printf '{"mode":"bottom","text":"%s"}' "$1"; }
m() { echo "$3" > plan.json; ./drive_mutt.sh "$1" "$2" "$4"; }
a() { echo "$2" > plan.json; ./drive_alpine.sh "$1" "$3"; }

# Alpine's greeting screen: one start that dismisses it; alpine then notes in pinerc that it was
# shown, and the copies of pinerc that each run uses open the index at once.
tmux new-session -d -s al_greeting -x 120 -y 40 "alpine -p $WORK/pinerc -i"
sleep 3; tmux send-keys -t al_greeting E; sleep 1; tmux send-keys -t al_greeting q; sleep 1
tmux send-keys -t al_greeting y; sleep 2; tmux kill-session -t al_greeting 2>/dev/null || true

m mutt mutt_en_top "$(top 'Version 5.2.1 on Windows 11, only on my laptop.')" ""
m mutt mutt_en_top_sig "$(top 'It stopped again this morning at 8:40.')" "$SIG"
m mutt mutt_en_bottom_sig "$(bottom 'Version 5.2.1, and only the laptop is affected.')" "$SIG"
m mutt mutt_en_inline "$INL" ""
m mutt mutt_en_inline_sig "$INL" "$SIG"
m mutt mutt_en_bottom_sig_on_top "$(bottom 'I use 5.2.1; the phone is fine.')" "$SIG\nset sig_on_top=yes"
m mutt mutt_fr_top "$(top 'La synchro s est encore arrêtée ce matin.')" "$FR"
m mutt mutt_fr_inline_sig "$INLFR" "$FR\n$SIG"
m mutt mutt_fr_bottom "$(bottom 'C est la 5.2.1, et seulement sur le portable.')" "$FR"
m neomutt neomutt_en_top_sig "$(top 'Sync works again after the reinstall, thanks.')" "$SIG"
m neomutt neomutt_en_inline_sig "$INL" "$SIG"
m neomutt neomutt_en_bottom "$(bottom 'Version 5.2.1 here, only the laptop.')" ""
m neomutt neomutt_en_bottom_sig_on_top "$(bottom 'Laptop only, version 5.2.1.')" "$SIG\nset sig_on_top=yes"
m neomutt neomutt_fr_top_sig "$(top 'Toujours bloqué, même après la réinstallation.')" "$FR\n$SIG"
m neomutt neomutt_fr_inline "$INLFR" "$FR"
a alpine_en_top "$(top 'Version 5.2.1 on Windows 11, only on my laptop.')" ""
a alpine_en_top_sig "$(top 'It stopped again this morning at 8:40.')" "$ASIG"
a alpine_en_bottom_sig "$(bottom 'Version 5.2.1, and only the laptop is affected.')" "$ASIG"
a alpine_en_inline_sig "$INL" "$ASIG"
a alpine_en_inline "$INL" ""
a alpine_en_bottom_sig_at_bottom "$(bottom 'Laptop only, version 5.2.1.')" "$ASIG\n$AT_BOTTOM"
a alpine_fr_top_sig "$(top 'Toujours bloqué, même après la réinstallation.')" "$AFR\n$ASIG"
a alpine_fr_bottom_sig "$(bottom 'C est la 5.2.1, et seulement sur le portable.')" "$AFR\n$ASIG"
a alpine_fr_inline "$INLFR" "$AFR"
a alpine_fr_inline_sig "$INLFR" "$AFR\n$ASIG"

for f in recorded/*.eml; do
  cp "$f" "$HERE/../recorded_$(basename "$f")"
done
echo "recorded $(ls recorded | wc -l) replies into $(cd "$HERE/.." && pwd)"
