# Shared by make-sample.sh and make-qemu-dumps.sh (sourced, POSIX sh).
REL=${CT_RELEASE:-6.1.0-56-cloud-amd64}
QEMU_DIR=$(cd "$(dirname "$0")" && pwd)
case "$QEMU_DIR" in */sample-dumps) QEMU_DIR=$(cd "$QEMU_DIR/../scripts/qemu" && pwd);; esac

need_packages() { # install what is missing (Debian 12)
  missing=
  command -v qemu-system-x86_64 >/dev/null || missing="$missing qemu-system-x86"
  [ -x /bin/busybox ] && file -L /bin/busybox 2>/dev/null | grep -q static || missing="$missing busybox-static"
  command -v kexec >/dev/null || missing="$missing kexec-tools"
  command -v makedumpfile >/dev/null || missing="$missing makedumpfile"
  command -v cpio >/dev/null || missing="$missing cpio"
  command -v gcc >/dev/null || missing="$missing gcc libc6-dev"
  command -v file >/dev/null || missing="$missing file"
  command -v objcopy >/dev/null || missing="$missing binutils"
  command -v xz >/dev/null || missing="$missing xz-utils"
  if [ -n "$missing" ]; then
    echo "installing:$missing" >&2
    apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  fi
}

# CT_SUITE=SUITE (e.g. sid): kernel packages come from that Debian suite through a private apt configuration in
# ${CT_APT_CACHE:-~/.cache/crash-ts-apt}/SUITE (its own sources list, package lists and downloaded .debs, kept
# between runs); the machine's own apt sources are never changed. Unset: the machine's sources.
suite_dir() { echo "${CT_APT_CACHE:-$HOME/.cache/crash-ts-apt}/$CT_SUITE"; }
suite_apt() { # apt-get|apt-cache ARGS...: run against $CT_SUITE's private configuration (updated once)
  sd=$(suite_dir)
  mkdir -p "$sd/etc" "$sd/lists/partial" "$sd/archives/partial" "$sd/debs"
  mirror=$( (grep -h -m1 -E '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null || true) | awk '{print $2; exit}')
  [ -f "$sd/etc/sources.list" ] ||
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${mirror:-http://deb.debian.org/debian} $CT_SUITE main" > "$sd/etc/sources.list"
  cmd=$1; shift
  set -- -o Dir::Etc::sourcelist="$sd/etc/sources.list" -o Dir::Etc::sourceparts=/nonexistent \
    -o Dir::State::Lists="$sd/lists" -o Dir::Cache::archives="$sd/archives" -o Dir::Cache::pkgcache="$sd/pkgcache.bin" \
    -o Dir::Cache::srcpkgcache="$sd/srcpkgcache.bin" -o Acquire::Check-Valid-Until=false -o APT::Sandbox::User=root "$@"
  # lists older than a day are refreshed: a moving suite (sid) drops the packages of older releases
  [ -n "$(find "$sd/lists" -maxdepth 1 -name '*_Packages*' -mtime -1 2>/dev/null)" ] ||
    apt-get "$@" update -qq >/dev/null 2>&1 ||
    { echo "cannot read the package lists of Debian $CT_SUITE" >&2; return 1; }
  "$cmd" "$@"
}
# suite_release PATTERN: the newest release of $CT_SUITE's linux-image-PATTERN (e.g. '7.*-cloud-amd64')
suite_release() {
  suite_apt apt-cache pkgnames linux-image- | sed -n "s/^linux-image-\($1\)\$/\1/p" | grep -v -- '-dbg$' | sort -V | tail -n1
}
# fetch_suite_kernel DIR: $REL from $CT_SUITE into DIR/x laid out as fetch_kernel's (boot/vmlinuz-$REL, lib/modules).
# Newer Debian kernels are split: linux-binary-unsigned-REL (usr/lib/modules/REL/vmlinuz.unsigned) and
# linux-modules-REL (usr/lib/modules); older ones have one linux-image-REL-unsigned. The .debs stay in the suite's cache.
fetch_suite_kernel() {
  mkdir -p "$1" && (
    cd "$1"
    [ -f x/boot/vmlinuz-$REL ] && exit 0
    sd=$(suite_dir)
    if suite_apt apt-cache show "linux-binary-unsigned-$REL" >/dev/null 2>&1; then
      pkgs="linux-binary-unsigned-$REL linux-modules-$REL"
    else
      pkgs="linux-image-$REL-unsigned"
    fi
    rm -rf x && mkdir x
    for p in $pkgs; do
      ls "$sd/debs/${p}_"*.deb >/dev/null 2>&1 || (cd "$sd/debs" && suite_apt apt-get download "$p" >/dev/null) ||
        { echo "cannot download $p from Debian $CT_SUITE" >&2; exit 1; }
      dpkg-deb -x "$(ls "$sd/debs/${p}_"*.deb | tail -n1)" x
    done
    mkdir -p x/boot
    [ -f x/usr/lib/modules/$REL/vmlinuz.unsigned ] && cp x/usr/lib/modules/$REL/vmlinuz.unsigned x/boot/vmlinuz-$REL
    [ -f x/usr/lib/modules/$REL/vmlinuz ] && [ ! -f x/boot/vmlinuz-$REL ] && cp x/usr/lib/modules/$REL/vmlinuz x/boot/vmlinuz-$REL
    [ -e x/lib ] || ln -s usr/lib x/lib
    # the guest's busybox insmod takes plain .ko files only
    find x/usr/lib/modules -name 'qemu_fw_cfg.ko.xz' -exec xz -d {} \; 2>/dev/null || true
  )
}

# fetch_suite_vmlinux: $REL's vmlinux with symbols, BTF and ORC but no DWARF (the corpus's "nodwarf" form, ~70 MB),
# from $CT_SUITE's linux-image-$REL-dbg (~350 MB, not kept), cached as
# ${CRASH_TS_CORPUS_CACHE:-~/.cache/crash-ts-corpus}/$REL/vmlinux-$REL.nodwarf (+ System.map-$REL); prints its path.
# The -dbg package holds the vmlinux at usr/lib/debug/boot/vmlinux-REL (6.x) or usr/lib/debug/lib/modules/REL/vmlinux (7.x).
fetch_suite_vmlinux() {
  vc=${CRASH_TS_CORPUS_CACHE:-$HOME/.cache/crash-ts-corpus}/$REL
  if [ ! -f "$vc/vmlinux-$REL.nodwarf" ]; then
    mkdir -p "$vc" && rm -rf "$vc/dbg.tmp" && mkdir "$vc/dbg.tmp" || return 1
    (cd "$vc/dbg.tmp" && suite_apt apt-get download "linux-image-$REL-dbg" >/dev/null) ||
      { echo "cannot download linux-image-$REL-dbg from Debian $CT_SUITE" >&2; rm -rf "$vc/dbg.tmp"; return 1; }
    dpkg-deb --fsys-tarfile "$vc"/dbg.tmp/*.deb | tar -x -C "$vc/dbg.tmp" --wildcards \
      "./usr/lib/debug/lib/modules/$REL/vmlinux" "./usr/lib/debug/lib/modules/$REL/System.map" \
      "./usr/lib/debug/boot/vmlinux-$REL" "./usr/lib/debug/boot/System.map-$REL" 2>/dev/null || true
    v=$(find "$vc/dbg.tmp/usr" -type f \( -name vmlinux -o -name "vmlinux-$REL" \) | head -n1)
    m=$(find "$vc/dbg.tmp/usr" -type f -name 'System.map*' | head -n1)
    [ -n "$v" ] || { echo "no vmlinux in linux-image-$REL-dbg" >&2; rm -rf "$vc/dbg.tmp"; return 1; }
    [ -n "$m" ] && mv "$m" "$vc/System.map-$REL"
    objcopy --strip-debug -R '.rela*' "$v" "$vc/vmlinux-$REL.nodwarf.part" && mv "$vc/vmlinux-$REL.nodwarf.part" "$vc/vmlinux-$REL.nodwarf"
    rm -rf "$vc/dbg.tmp"
  fi
  echo "$vc/vmlinux-$REL.nodwarf"
}

# release_suites: the Debian suites that ship $REL when the machine's own apt sources (Debian 12) do not;
# empty for the releases bookworm itself ships.
release_suites() {
  case $REL in
    5.10.*) echo "bullseye bullseye-security" ;; # Debian 11
  esac
}

# release_apt_opts: apt-get/apt-cache options for $REL: nothing when the machine's sources have it, otherwise a
# private source list, package lists and cache under $CT_APT_ROOT (never the machine's own apt configuration),
# brought up to date once (apt-get update of the private lists only).
release_apt_opts() {
  suites=$(release_suites)
  [ -n "$suites" ] || return 0
  d=${CT_APT_ROOT:-/tmp/qemu-work/apt}/$(echo "$suites" | tr ' ' '+')
  opts="-o Dir::Etc::sourcelist=$d/sources.list -o Dir::Etc::sourceparts=/nonexistent -o Dir::State::Lists=$d/lists"
  opts="$opts -o Dir::Cache=$d/cache -o Dir::State::status=/dev/null"
  if [ ! -f "$d/.updated" ]; then
    mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
    : > "$d/sources.list"
    for s in $suites; do
      case $s in *-security) url=http://deb.debian.org/debian-security ;; *) url=http://deb.debian.org/debian ;; esac
      echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $url $s main" >> "$d/sources.list"
    done
    # shellcheck disable=SC2086
    apt-get $opts update -qq >/dev/null 2>&1 && touch "$d/.updated"
  fi
  echo "$opts"
}

# fetch_kernel DIR: the Debian image package of $REL, extracted into DIR/x (boot/vmlinuz, lib/modules)
fetch_kernel() {
  if [ -n "${CT_SUITE:-}" ]; then fetch_suite_kernel "$1" || exit 1; fi
  mkdir -p "$1" && (
    cd "$1"
    if [ ! -f x/boot/vmlinuz-$REL ]; then
      ao=$(release_apt_opts)
      # shellcheck disable=SC2086
      ls linux-image-$REL-unsigned_*.deb >/dev/null 2>&1 || apt-get $ao download "linux-image-$REL-unsigned" 2>/dev/null ||
        { apt-get $ao update -qq >/dev/null 2>&1; apt-get $ao download "linux-image-$REL-unsigned"; }
      rm -rf x && mkdir x && dpkg-deb -x linux-image-$REL-unsigned_*.deb x
    fi
  )
  [ -f "$1/x/boot/vmlinuz-$REL" ] || { echo "cannot get the kernel image package for $REL" >&2; exit 1; }
}

# fetch_headers DIR: the Debian header packages of $REL (linux-headers-$REL, linux-headers-*-common and
# linux-kbuild-*, all of the same version) extracted into DIR/x; prints the build dir to build modules against.
# The arch package's Makefile includes the -common one by absolute path (/usr/src/...): pointed at DIR/x instead.
# The other links (scripts, tools -> ../../lib/linux-kbuild-*) are relative and work as extracted.
fetch_headers() {
  mkdir -p "$1" && (
    cd "$1"
    b=$PWD/x/usr/src/linux-headers-$REL
    if [ ! -f "$b/.ct-ready" ]; then
      # a release of another Debian (5.10: Debian 11) through its private package lists (release_apt_opts)
      ao=$(release_apt_opts)
      # shellcheck disable=SC2086
      apt-cache $ao show "linux-headers-$REL" >/dev/null 2>&1 || apt-get $ao update -qq >/dev/null 2>&1
      # shellcheck disable=SC2086
      ver=$(apt-cache $ao show "linux-headers-$REL" | sed -n 's/^Version: //p' | head -n1)
      [ -n "$ver" ] || { echo "no package linux-headers-$REL" >&2; exit 1; }
      # shellcheck disable=SC2086
      pkgs="linux-headers-$REL $(apt-cache $ao depends "linux-headers-$REL" | awk '/^ *Depends: linux-(headers|kbuild)-/ { print $2 }')"
      for p in $pkgs; do
        ls "${p}_"*.deb >/dev/null 2>&1 && continue
        # the archive may have replaced a build of linux-kbuild-* by a rebuild of the same upstream version
        # (6.1.192-2 -> 6.1.192-3): its tools build modules for this kernel all the same
        # shellcheck disable=SC2086
        apt-get $ao download "$p=$ver" > apt.log 2>&1 ||
          { case $p in linux-kbuild-*) apt-cache $ao show "$p" | grep -q "^Version: ${ver%-*}-" && apt-get $ao download "$p" > apt.log 2>&1 ;; *) false ;; esac; } ||
          { cat apt.log >&2; echo "cannot download $p=$ver" >&2; exit 1; }
      done
      rm -rf x && mkdir x
      for p in $pkgs; do dpkg-deb -x "${p}_"*.deb x; done
      sed -i "s#^include /usr/src/#include $PWD/x/usr/src/#" "$b/Makefile"
      touch "$b/.ct-ready"
    fi
    echo "$b"
  )
}

now() { date +%s.%N | cut -c1-14; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
# strip terminal escapes and CRs the firmware and console put in serial logs
clean_log() { sed -e 's/\x1b\[[0-9;?]*[a-zA-Z]//g' -e 's/\r$//' "$1"; }

# fetch_debug_vmlinux CACHE: the debug vmlinux of $REL (Debian's linux-image-$REL-dbg, DWARF + BTF + symbols) as
# CACHE/$REL/vmlinux-$REL, where the tests look for it; prints the path. Kept for later runs (the package is ~260 MB).
fetch_debug_vmlinux() {
  out=$1/$REL/vmlinux-$REL
  if [ ! -f "$out" ]; then
    mkdir -p "$1/$REL" && (
      cd "$1/$REL"
      ao=$(release_apt_opts)
      # shellcheck disable=SC2086
      ls linux-image-$REL-dbg_*.deb >/dev/null 2>&1 || apt-get $ao download "linux-image-$REL-dbg" >/dev/null 2>&1 ||
        { echo "cannot download linux-image-$REL-dbg" >&2; exit 1; }
      dpkg-deb --fsys-tarfile linux-image-$REL-dbg_*.deb | tar -xO "./usr/lib/debug/boot/vmlinux-$REL" > "$out.part"
      mv "$out.part" "$out" && rm -f linux-image-$REL-dbg_*.deb
    ) || return 1
  fi
  echo "$out"
}
