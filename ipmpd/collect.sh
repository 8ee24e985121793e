#!/bin/sh
# ipmpd collector: reads what ipmpd reads on a Solaris 10, Solaris 11 or
# illumos host, with no Python, and writes one ipmpd-capture/2 stream to
# standard output (docs/capture-format.md).  Read-only unless --modlist.
#
#   sh collect.sh [--modlist [--pfexec]] [--path DIR[:DIR...]] [--timeout N] [--root DIR] [IF ...] > host.capture
#   ipmpd check --capture host.capture
#
#   --modlist  also run `ifconfig IF modlist` for every group member and
#              every IF named.  NOT read-only: it unlinks and relinks the
#              interface's IP stream, and needs net_rawaccess and
#              sys_ip_config.  Each runs with SIGHUP, SIGINT and SIGTERM
#              ignored, so losing the session never interrupts one.
#   --pfexec   run each modlist as `pfexec /opt/ipmpd/libexec/ipmpd-modlist IF`,
#              under the "ipmpd Modlist" rights profile (README, Privileges)
#   --path P   the PATH the commands run with
#              (default /usr/sbin:/usr/bin:/sbin:/bin)
#   --timeout N  kill a command (never a modlist) still running after N
#              seconds, as ipmpd does on a host it runs on (default 10; 0: none)
#   --root DIR read the host's files under DIR (default /; for tests and
#              for a host's files copied elsewhere)
#   IF ...     more interfaces to read modules for (configured members)
#
# Exit status: 0 when the stream was written (a command that failed or is
# missing is recorded in it, with its status); 2 for bad arguments; 1 when
# no temporary directory could be made.
#
# Bourne shell rules followed here (Solaris 10's /bin/sh is not POSIX):
#   - backquotes for command substitution, never $(...); arithmetic with
#     expr, never $((...)); no `local` (every variable is global, so each
#     function's variables carry its name as a prefix)
#   - no `test -e` (use -f and -d), no [[ ]], no `! cmd`, no ${#v}, and no
#     ${v#...} or ${v%...} (expr and awk cut strings instead)
#   - "$@" is written ${1+"$@"}: old shells turn an empty "$@" into one word
#   - awk programs use only what the original awk (Solaris 10 /usr/bin/awk)
#     has: no sub/gsub/match, no -v, no ?:, no comparison or match as a value
#     (write if (...) x = 1), no bare variable as a pattern
#   - captured data is never passed to echo or read: outputs go to files
#     and reach the stream through cat, framed by the CRC and byte count
#     that cksum prints; echo is given only this script's own words and
#     names it has checked (link names, paths matching a safe pattern)
# Lint: shellcheck -s sh -e SC2006,SC2003 (backquotes and expr are required).

PATH=/usr/bin:/bin:/usr/sbin:/sbin
LC_ALL=C
LANG=C
export PATH LC_ALL LANG

cmdpath=/usr/sbin:/usr/bin:/sbin:/bin
modlist=no
timeout=10
pfexec=no
modlist_helper=/opt/ipmpd/libexec/ipmpd-modlist
root=
extra=
while [ $# -gt 0 ]; do
    case $1 in
    --modlist) modlist=yes ;;
    --pfexec) pfexec=yes ;;
    --path)
        if [ $# -lt 2 ]; then
            echo "collect.sh: --path needs a value" >&2
            exit 2
        fi
        cmdpath=$2
        shift
        ;;
    --timeout)
        case $2 in
        "" | *[!0-9]*)
            echo "collect.sh: --timeout needs a whole number of seconds" >&2
            exit 2
            ;;
        esac
        timeout=$2
        shift
        ;;
    --root)
        if [ $# -lt 2 ]; then
            echo "collect.sh: --root needs a value" >&2
            exit 2
        fi
        root=$2
        if [ "$root" = / ]; then
            root=
        fi
        shift
        ;;
    -*)
        echo "collect.sh: unknown option (see the usage at the top of the script)" >&2
        exit 2
        ;;
    *)
        case $1 in
        *[!A-Za-z0-9_.]* | [!A-Za-z]* | *[!0-9]) bad=yes ;;
        *) bad=no ;;
        esac
        if [ "$bad" = yes ] || [ "`expr "x$1" : '.*'`" -gt 32 ]; then
            echo "collect.sh: an interface name is not a link name" >&2
            exit 2
        fi
        extra="$extra $1"
        ;;
    esac
    shift
done

umask 077
tmp=${TMPDIR:-/tmp}/ipmpd-collect.$$
if mkdir "$tmp"; then :; else
    echo "collect.sh: cannot create a temporary directory in ${TMPDIR:-/tmp}" >&2
    exit 1
fi
trap 'rm -rf "$tmp"' 0
# Numbers, not names: Solaris 10's /bin/sh knows no signal names (HUP INT PIPE TERM).
# shellcheck disable=SC2172
trap 'exit 1' 1 2 13 15

nrec=0
platform=unknown
arch=

# frame LABEL FILE: "LABEL CRC LENGTH", then the file's bytes and a newline
frame() {
    frame_sum=`cksum < "$2"`
    echo "$1 $frame_sum"
    cat "$2"
    echo
}

# find_cmd NAME: sets found to the first NAME on the command PATH, or empty
find_cmd() {
    found=
    find_cmd_ifs=$IFS
    IFS=:
    for find_cmd_dir in $cmdpath; do
        if [ -z "$found" ] && [ -f "$find_cmd_dir/$1" ] && [ -x "$find_cmd_dir/$1" ]; then
            found=$find_cmd_dir/$1
        fi
    done
    IFS=$find_cmd_ifs
}

# run_cmd NAME ARG...: one command record; sets status (empty when missing).
# With shield=yes the command ignores SIGHUP, SIGINT and SIGTERM.
shield=no
run_cmd() {
    rm -f "$tmp/out" "$tmp/err"
    status=
    find_cmd "$1"
    echo "command $*"
    nrec=`expr "$nrec" + 1`
    if [ -z "$found" ]; then
        echo missing
        return 0
    fi
    shift
    if [ "$shield" = yes ] && [ "$pfexec" = yes ]; then
        # ifconfig IF modlist through the one command the profile grants
        (trap '' 1 2 15; PATH=$cmdpath; export PATH; exec pfexec "$modlist_helper" "$1") \
            > "$tmp/out" 2> "$tmp/err" < /dev/null
    elif [ "$shield" = yes ]; then
        (trap '' 1 2 15; PATH=$cmdpath; export PATH; exec "$found" ${1+"$@"}) \
            > "$tmp/out" 2> "$tmp/err" < /dev/null
    else
        # Killed at the timeout (the watcher leaves a mark first), as ipmpd
        # kills a hung command on a host it runs on; a modlist above never is.
        (PATH=$cmdpath; export PATH; exec "$found" ${1+"$@"}) > "$tmp/out" 2> "$tmp/err" < /dev/null &
        run_pid=$!
        if [ "$timeout" -gt 0 ]; then
            # (the watcher lets go of the collector's output first: some
            # shells would leave it open in the sleep, holding up the reader)
            (exec > /dev/null 2>&1 < /dev/null; sleep "$timeout"; : > "$tmp/timedout.$nrec"; kill -9 "$run_pid") &
            run_watch=$!
        fi
        wait "$run_pid"
        status=$?
        if [ "$timeout" -gt 0 ]; then
            kill "$run_watch" > /dev/null 2>&1
        fi
    fi
    status=${status:-$?}
    if [ -f "$tmp/timedout.$nrec" ]; then
        echo "timeout $timeout"
        status=
    else
        echo "status $status"
    fi
    frame stdout "$tmp/out"
    frame stderr "$tmp/err"
}

# run_src SOURCE NAME ARG...: run_cmd, keeping a good output as src.SOURCE
run_src() {
    run_src_name=$1
    shift
    run_cmd ${1+"$@"}
    if [ "$status" = 0 ]; then
        cp "$tmp/out" "$tmp/src.$run_src_name"
    fi
}

# read_file PATH: one file record (absent, its content, or why it failed)
read_file() {
    echo "file $1"
    nrec=`expr "$nrec" + 1`
    read_file_dir=`expr "x$1" : 'x\(.*\)/'`
    if [ -f "$root$1" ] || [ -d "$root$1" ]; then
        if cat "$root$1" > "$tmp/out" 2> "$tmp/err"; then
            frame content "$tmp/out"
        else
            frame error "$tmp/err"
        fi
    elif [ -d "$root$read_file_dir" ] && [ ! -x "$root$read_file_dir" ]; then
        # the directory cannot be searched: whether the file exists is unknown
        echo "$1: Permission denied (cannot search $read_file_dir)" > "$tmp/err"
        frame error "$tmp/err"
    else
        echo absent
    fi
}

# read_glob DIR PREFIX: one glob record for DIR/PREFIX*, then each file it
# matched.  Names with characters outside [A-Za-z0-9_.:] are left out: no
# file ipmpd reads has one.
read_glob() {
    echo "glob $1/$2*"
    nrec=`expr "$nrec" + 1`
    read_glob_list=
    for read_glob_f in "$root$1/$2"*; do
        read_glob_name=`expr "x$read_glob_f" : 'x.*/\([^/]*\)$'`
        case $read_glob_name in
        "$2"*[!A-Za-z0-9_.:]* | "") continue ;;
        esac
        if [ -f "$read_glob_f" ] || [ -d "$read_glob_f" ]; then
            echo "match $1/$read_glob_name"
            read_glob_list="$read_glob_list $1/$read_glob_name"
        fi
    done
    for read_glob_f in $read_glob_list; do
        read_file "$read_glob_f"
    done
}

# set_platform: platform and arch from uname -a, as ipmpd/parsers/uname.py
set_platform() {
    if [ "$status" = 0 ] && [ -f "$tmp/src.uname" ]; then
        set_platform_words=`awk 'NF > 0 { print $1, $3, $4; exit }' "$tmp/src.uname"`
        case $set_platform_words in
        "SunOS 5.10 "*) platform=solaris10 ;;
        "SunOS 5.11 11" | "SunOS 5.11 11."*) platform=solaris11 ;;
        "SunOS 5.11 "?*) platform=illumos ;;
        esac
        arch=`awk 'NF > 0 {
            for (i = 5; i <= NF; i++) {
                if ($i == "sparc" || substr($i, 1, 4) == "sun4") { print "sparc"; exit }
            }
            for (i = 5; i <= NF; i++) {
                if ($i == "i386" || $i == "i86pc") { print "i386"; exit }
            }
            exit
        }' "$tmp/src.uname"`
    fi
}

# applies "PLATFORM..." SPARC_ONLY: whether a source applies on this host
applies() {
    case " $1 " in
    *" $platform "*) ;;
    *) return 1 ;;
    esac
    if [ "$2" = yes ] && [ -n "$arch" ] && [ "$arch" != sparc ]; then
        return 1
    fi
    return 0
}

# links: group members (unit 0, not an IPMP interface) from ifconfig -a,
# and the interfaces named on the command line; link names only, sorted
links() {
    : > "$tmp/links"
    if [ -f "$tmp/src.ifconfig" ]; then
        awk '
        /^[A-Za-z]/ {
            n = $1
            if (substr(n, length(n), 1) == ":") n = substr(n, 1, length(n) - 1)
            unit0 = 1
            if (index(n, ":") > 0) unit0 = 0
            ipmp = 0
            if ($0 ~ /[<,]IPMP[,>]/) ipmp = 1
            next
        }
        $1 == "groupname" && NF > 1 && unit0 == 1 && ipmp == 0 { print n }
        ' "$tmp/src.ifconfig" >> "$tmp/links"
    fi
    # ipmpstat -g's members too, as the Python gatherer takes them: the last
    # field, its ( ) and [ ] marks dropped
    if [ -f "$tmp/src.ipmp-groups" ]; then
        awk -F: '{ print $NF }' "$tmp/src.ipmp-groups" | sed 's/[][()]/ /g' >> "$tmp/links"
    fi
    for links_name in $extra; do
        echo "$links_name" >> "$tmp/links"
    done
    tr ' ' '\n' < "$tmp/links" | sort -u > "$tmp/links.sorted"
    links_list=
    # Words, not lines, on purpose: a link name has no space, and `read` is
    # never given captured data.
    # shellcheck disable=SC2013
    for links_name in `cat "$tmp/links.sorted"`; do
        case $links_name in
        *[!A-Za-z0-9_.]* | [!A-Za-z]* | *[!0-9]) ;;
        *) links_list="$links_list $links_name" ;;
        esac
    done
}

# each_link_autopush: autopush -g for the driver instance under each link,
# at minor instance + 1 (what dld looks up); the Python gatherer asks only
# the links whose per-link autopush property is empty, and reads these
links_done=no
each_link_autopush() {
    if [ "$links_done" = no ]; then
        links
        links_done=yes
    fi
    for auto_link in $links_list; do
        auto_dev=$auto_link
        if [ "$platform" != solaris10 ]; then
            auto_dev=
            if [ -f "$tmp/src.links" ]; then
                auto_dev=`awk -F: '$1 == l { print $6; exit }' l="$auto_link" "$tmp/src.links"`
            fi
        fi
        case $auto_dev in
        *[!A-Za-z0-9_.]* | [!A-Za-z]* | *[!0-9] | "") continue ;;
        esac
        auto_drv=`expr "$auto_dev" : '\(.*[A-Za-z_]\)[0-9][0-9]*$'`
        auto_inst=`expr "$auto_dev" : '.*[A-Za-z_]\([0-9][0-9]*\)$'`
        if [ -z "$auto_drv" ] || [ -z "$auto_inst" ] || [ ! -f "$root/etc/name_to_major" ]; then
            continue
        fi
        if [ "$platform" = solaris10 ] && [ "$auto_inst" -ge 1000 ]; then
            auto_inst=`expr "$auto_inst" % 1000`
        fi
        auto_major=`awk '$1 == d { print $2; exit }' d="$auto_drv" "$root/etc/name_to_major"`
        case $auto_major in
        "" | *[!0-9]*) continue ;;
        esac
        auto_minor=`expr "$auto_inst" + 1`
        run_cmd autopush -g -M "$auto_major" -m "$auto_minor"
    done
}

# each_link_modlist: ifconfig IF modlist for each link, only with --modlist
each_link_modlist() {
    if [ "$modlist" = yes ]; then
        if [ "$links_done" = no ]; then
            links
            links_done=yes
        fi
        shield=yes
        for mod_link in $links_list; do
            run_cmd ifconfig "$mod_link" modlist
        done
        shield=no
    fi
}

echo "ipmpd-capture/2"
echo "meta collector collect.sh"
echo "meta modlist $modlist"
echo "meta pfexec $pfexec"
echo "meta taken_at `date -u +%Y-%m-%dT%H:%M:%SZ`"

# BEGIN SOURCES: generated from ipmpd/sources.py by `python -m ipmpd.collector`; do not edit
# uname: platform and arch
run_src uname 'uname' '-a'
set_platform
# ifconfig: interfaces, flags, addresses, groupname, ether
if applies 'solaris10 solaris11 illumos unknown' no; then run_src ifconfig 'ifconfig' '-a'; fi
# ipmp-groups: group state and members
if applies 'solaris11 illumos unknown' no; then run_src ipmp-groups 'ipmpstat' '-g' '-P' '-o' 'group,groupname,state,fdt,interfaces'; fi
# ipmp-interfaces: member state
if applies 'solaris11 illumos unknown' no; then run_src ipmp-interfaces 'ipmpstat' '-i' '-P' '-o' 'interface,active,group,flags,link,probe,state'; fi
# ipmp-targets: probe mode and test addresses
if applies 'solaris11 illumos unknown' no; then run_src ipmp-targets 'ipmpstat' '-t' '-P' '-o' 'interface,mode,testaddr,targets'; fi
# links: media type and link state
if applies 'solaris11 illumos unknown' no; then run_src links 'dladm' 'show-phys' '-p' '-o' 'link,media,state,speed,duplex,device'; fi
# macs: MAC addresses (no privilege needed)
if applies 'solaris11 illumos unknown' no; then run_src macs 'dladm' 'show-phys' '-m' '-p' '-o' 'link,slot,address,inuse,client'; fi
# eeprom: SPARC local-mac-address?
if applies 'solaris10 solaris11 illumos unknown' yes; then run_src eeprom 'eeprom' 'local-mac-address?'; fi
# autopush-links: per-link autopush modules (no privilege needed)
if applies 'solaris11 illumos unknown' no; then run_src autopush-links 'dladm' 'show-linkprop' '-c' '-o' 'link,value' '-p' 'autopush'; fi
# ipadm-if: persistent interfaces (ipadm)
if applies 'solaris11 illumos unknown' no; then run_src ipadm-if 'ipadm' 'show-if' '-p' '-o' 'ifname,state,current,persistent'; fi
# ipadm-addr: persistent addresses (ipadm)
if applies 'solaris11 illumos unknown' no; then run_src ipadm-addr 'ipadm' 'show-addr' '-p' '-o' 'addrobj,type,state,current,persistent,addr'; fi
# persistent: persistent configuration files
if applies 'solaris10 illumos unknown' no; then read_glob '/etc' 'hostname.'; read_glob '/etc' 'hostname6.'; fi
# ipadm-store: ipadm's persistent IPMP membership (illumos)
if applies 'illumos' no; then read_file '/etc/ipadm/ipadm.conf'; fi
# autopush-files: per-driver autopush modules loaded at boot (pfil.ap: Solaris 10 3/05 to 11/06)
if applies 'solaris10 solaris11 illumos unknown' no; then read_file '/etc/iu.ap'; read_file '/etc/ipf/pfil.ap'; fi
# name-to-major: driver major numbers, for autopush -g
if applies 'solaris10 solaris11 illumos unknown' no; then read_file '/etc/name_to_major'; fi
# autopush: per-driver autopush modules in the kernel now
if applies 'solaris10 solaris11 illumos unknown' no; then each_link_autopush; fi
# modlist: STREAMS modules, per physical member; privileged, not read-only
if applies 'solaris10 solaris11 illumos unknown' no; then each_link_modlist; fi
# END SOURCES

echo "end $nrec"
