#!/usr/bin/env bash
# Fetch the pinned Linux base into $WORK/base as a git repo whose first
# commit is the pristine source.  KERNEL_SRC=/path uses a user's own v7.3
# tree instead.  apt runs from a private state dir: the system's sources
# are never touched; the mirror is taken from the system's configuration.
. "$(dirname "$0")/lib.sh"

[ -d "$BASE/.git" ] && exit 0
if [ -n "${KERNEL_SRC:-}" ]; then
	grep -q '^VERSION = 7$' "$KERNEL_SRC/Makefile" &&
	grep -q '^PATCHLEVEL = 3$' "$KERNEL_SRC/Makefile" ||
		die "KERNEL_SRC=$KERNEL_SRC is not a Linux 7.3 tree"
	mkdir -p "$BASE"
	rsync -a --exclude=.git "$KERNEL_SRC"/ "$BASE"/
else
	pkg=$(lock package) ver=$(lock version)
	apt=$WORK/apt
	mirror=$(apt-get indextargets --format '$(REPO_URI)' 2>/dev/null |
		 grep -m1 '/debian/$') || mirror=
	[ -n "$mirror" ] || mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
	[ -n "$mirror" ] || die "no Debian mirror in the system's apt configuration"
	mkdir -p "$apt"/lists/partial "$apt"/cache/archives/partial "$apt"/prefs.d
	touch "$apt/status"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $(lock suite) main" \
		>"$apt/sources.list"
	o=(-o Dir::State="$apt" -o Dir::State::Lists="$apt/lists"
	   -o Dir::State::status="$apt/status" -o Dir::Cache="$apt/cache"
	   -o Dir::Etc::SourceList="$apt/sources.list"
	   -o Dir::Etc::SourceParts=/dev/null -o Dir::Etc::Preferences=/dev/null
	   -o Dir::Etc::PreferencesParts="$apt/prefs.d" -o APT::Sandbox::User=root)
	say "fetching $pkg $ver"
	apt-get -q "${o[@]}" update >/dev/null
	(cd "$apt" && apt-get -q "${o[@]}" download "$pkg=$ver" >/dev/null)
	deb=$(ls "$apt"/"${pkg}"_*.deb)
	echo "$(lock deb_sha256)  $deb" | sha256sum -c --quiet || die "bad .deb hash"
	dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/$pkg.tar.xz" >"$apt/src.tar.xz"
	echo "$(lock tarball_sha256)  $apt/src.tar.xz" | sha256sum -c --quiet || die "bad tarball hash"
	say "unpacking"
	mkdir -p "$BASE"
	tar -xJf "$apt/src.tar.xz" -C "$BASE" --strip-components=1
	rm -f "$apt/src.tar.xz"
fi
cd "$BASE"
git init -q
git config gc.auto 0	# no background repack racing the clones of apply.sh
git add -A -f .	# -f: Debian's top-level .gitignore ignores '/*'
# Fixed identity and date: the same source always gives the same base
# commit, so the series' base-commit line is stable.
GIT_AUTHOR_DATE='@0 +0000' GIT_COMMITTER_DATE='@0 +0000' \
	git -c user.name=base -c user.email=base@localhost \
	commit -q -m "Linux $(make -s kernelversion) (base)"
git tag base
