#!/bin/bash
# drive_mutt.sh CLIENT NAME EXTRA_MUTTRC_LINES
# Replies to the first mail of inbox.mbox in mutt or neomutt inside tmux; keeps the sent mail.
client=$1; name=$2; extra=$3
cd "$WORK" && cp muttrc muttrc.$name; printf '%b\n' "$extra" >> muttrc.$name
rm -rf out; mkdir -p out
sess=rc_$name
tmux kill-session -t $sess 2>/dev/null
tmux new-session -d -s $sess -x 120 -y 40 "$client -n -F $WORK/muttrc.$name -f $WORK/inbox.mbox"
sleep 1.5
tmux send-keys -t $sess r
sleep 2
tmux send-keys -t $sess y
sleep 1.5
tmux send-keys -t $sess q
sleep 1
tmux capture-pane -p -t $sess > screen.$name.txt 2>/dev/null
tmux kill-session -t $sess 2>/dev/null
f=$(ls out/*.eml 2>/dev/null | head -1)
if [ -n "$f" ]; then mkdir -p recorded; cp "$f" recorded/$name.eml; echo "recorded $name"; else echo "FAILED $name"; cat screen.$name.txt; fi
