#!/usr/bin/env bash
# Make $WORK/linux afresh: the pinned base plus every patch in
# patches/series, applied with git am (no fuzz: any mismatch is an error).
. "$(dirname "$0")/lib.sh"

"$TOP/scripts/fetch-base.sh"
# Never throw away work: a tree with uncommitted changes, or with commits
# that patches/ does not hold (make export), is left alone unless FORCE=1.
unsaved() {
	local tmp rc=1
	git -C "$TREE" diff --quiet HEAD || return 0
	[ "$(git -C "$TREE" rev-list --count base..HEAD)" -gt 0 ] || return 1
	tmp=$(mktemp -d)
	OUT=$tmp "$TOP/scripts/export.sh" 2>/dev/null &&
		diff -rq -x cover-letter.txt "$TOP/patches" "$tmp" >/dev/null || rc=0
	rm -rf "$tmp"
	return $rc
}
if [ -d "$TREE/.git" ] && [ -z "${FORCE:-}" ] && unsaved; then
	die "$TREE has work that is not in patches/: make export, or FORCE=1"
fi
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
