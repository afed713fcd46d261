#!/bin/bash
# drive_alpine.sh NAME EXTRA_PINERC_LINES: replies to the first mail of the inbox in alpine.
name=$1; extra=$2
cd "$WORK" && cp pinerc pinerc.$name; printf '%b\n' "$extra" >> pinerc.$name
rm -rf out; mkdir -p out
sess=al_$name
tmux kill-session -t $sess 2>/dev/null
tmux new-session -d -s $sess -x 120 -y 40 "alpine -p $WORK/pinerc.$name -i"
sleep 2.5
for k in R y n; do tmux send-keys -t $sess $k; sleep 1.5; done
sleep 1.5
tmux send-keys -t $sess C-x; sleep 1.5
tmux send-keys -t $sess y; sleep 2
tmux capture-pane -p -t $sess > screen.$name.txt
if grep -q "Create?" screen.$name.txt; then tmux send-keys -t $sess y; sleep 2; fi
tmux send-keys -t $sess q; sleep 1; tmux send-keys -t $sess y; sleep 1
tmux kill-session -t $sess 2>/dev/null
f=$(ls out/*.eml 2>/dev/null | head -1)
if [ -n "$f" ]; then mkdir -p recorded; cp "$f" recorded/$name.eml; echo "recorded $name"; else echo "FAILED $name"; cat screen.$name.txt | grep -v '^$' | tail -8; fi
