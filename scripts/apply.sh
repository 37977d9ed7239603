#!/usr/bin/env bash
# Make $WORK/linux afresh: the pinned base plus every patch in
# patches/series, applied with git am (no fuzz: any mismatch is an error).
. "$(dirname "$0")/lib.sh"

"$TOP/scripts/fetch-base.sh"
rm -rf "$TREE"
git clone -q "$BASE" "$TREE"
cd "$TREE"
git config user.name "${GIT_AUTHOR_NAME:-hugepage_alloc}"
git config user.email "${GIT_AUTHOR_EMAIL:-hugepage_alloc@localhost}"
while read -r p; do
	case "$p" in ''|'#'*) continue ;; esac
	git am -q --keep-cr "$TOP/patches/$p" || { git am --abort; die "$p does not apply"; }
done < "$TOP/patches/series"
say "$(git rev-list --count base..HEAD) patches applied on $(git describe --tags --always base)"
