#!/usr/bin/env bash
# Make the series sendable with b4: enroll a copy of $WORK/linux with
# `b4 prep`, give it patches/cover-letter.txt as the cover letter, and
# write the mails with `b4 send -o` (a dry run: nothing is sent).
. "$(dirname "$0")/lib.sh"

B=$WORK/b4 out=$WORK/outgoing
[ -d "$TREE/.git" ] || "$TOP/scripts/apply.sh"
rm -rf "$B" "$out"
git clone -q "$TREE" "$B"
cd "$B"
git config user.name "$(git -C "$TREE" config user.name)"
git config user.email "$(git -C "$TREE" config user.email)"
git checkout -q -b hugepage_alloc
# -o only writes files; b4 wants an SMTP setting to take the no-web path.
git config sendemail.smtpserver /usr/sbin/sendmail
b4 prep -e base >/dev/null 2>&1
EDITOR="cp $TOP/patches/cover-letter.txt" b4 prep --edit-cover >/dev/null 2>&1
b4 prep --auto-to-cc >/dev/null 2>&1
b4 send --no-sign -o "$out" >/dev/null 2>&1
say "b4 wrote $(ls "$out" | wc -l) mails to $out"
