#!/usr/bin/env bash
# Write the commits of $WORK/linux on top of the base back to patches/:
# git format-patch output (stable: zero commit ids, no signature, fixed
# base-commit), the quilt series file and the cover letter, whose text
# is kept in patches/cover-letter.txt (first line: subject).
# OUT=dir writes somewhere else (used by check.sh).
. "$(dirname "$0")/lib.sh"

out=${OUT:-$TOP/patches}
cd "$TREE"
[ "$(git rev-list --count base..HEAD)" -gt 0 ] || die "no commits on top of the base"
branch=$(git symbolic-ref --short HEAD)
git config "branch.$branch.description" "$(cat "$TOP/patches/cover-letter.txt")"
mkdir -p "$out"
rm -f "$out"/*.patch
git -c core.abbrev=12 format-patch -q --zero-commit --no-signature --base=base \
	--cover-letter --cover-from-description=subject -o "$out" base..HEAD
# The cover letter's date is the last commit's, not the time of export.
sed -i "0,/^Date: /s/^Date: .*/Date: $(git log -1 --format=%aD)/" "$out/0000-cover-letter.patch"
(cd "$out" && ls [0-9]*.patch | grep -v '^0000-cover-letter' >series)
say "exported $(wc -l <"$out/series") patches to $out"
