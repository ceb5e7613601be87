#!/bin/sh
# The systemd units: `systemd-analyze verify` accepts them (when the tool is
# installed), `make install` substitutes the binary path, the timer fires
# outside US business hours, `systemd-analyze security` rates the service
# 3.0 or better, and the job still runs inside the sandbox the unit draws.
#
# Without systemd as PID 1 the sandbox cannot be applied for real, so the
# last check emulates what matters: `litmine run` (a watch against the
# stand-in E-utilities server, a sync from a file:// mirror, the NLP chain,
# the index refresh) runs as an unprivileged user with umask 077 under
# strace, and every system call it makes must be in the unit's
# SystemCallFilter= (groups expanded by systemd-analyze), every socket in
# RestrictAddressFamilies=, and no mapping both writable and executable
# (MemoryDenyWriteExecute=).  litmine-serve.service gets the same checks:
# hardened keys, verify, a security rating of 3.0 or better, and
# `litmine serve` answering pages under strace as nobody, its system calls
# and sockets inside the unit's filters, until SIGTERM ends it with 0.
. "$(dirname "$0")/lib.sh"
DEST=$SCRATCH/root
make -s -C "$ROOT" install DESTDIR="$DEST" PREFIX=/usr/local >/dev/null 2>"$SCRATCH/err"
check "make install succeeds" test $? -eq 0
UNITS=$DEST/usr/local/lib/systemd/system
check "binary installed" test -x "$DEST/usr/local/bin/litmine"
check "example config installed" test -s "$DEST/etc/litmine/litmine.conf.example"
check "unit points at the installed binary" grep -q '^ExecStart=/usr/local/bin/litmine ' "$UNITS/litmine.service"
check "service is hardened" sh -c 'for k in User=litmine Group=litmine StateDirectory=litmine ProtectSystem=strict \
    ProtectHome=yes NoNewPrivileges=yes PrivateTmp=yes ReadWritePaths=/var/lib/litmine \
    IOSchedulingClass=idle Type=oneshot CapabilityBoundingSet= UMask=0027 StateDirectoryMode=0750 \
    CacheDirectory=litmine Environment=LITMINE_MODEL_CACHE=/var/cache/litmine \
    LoadCredential=api_key:/etc/litmine/api_key \
    "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" SystemCallFilter=@system-service \
    SystemCallArchitectures=native MemoryDenyWriteExecute=yes MemoryMax= TimeoutStartSec=; do
    grep -q "^$k" "$1" || { echo "    missing $k" >&2; exit 1; }; done' _ "$UNITS/litmine.service"
check "the static user and group come from a sysusers.d file" \
    grep -q '^u litmine - ' "$DEST/usr/local/lib/sysusers.d/litmine.conf"
check "no DynamicUser= (its private state directory is unreadable for other users)" \
    sh -c '! grep -q "^DynamicUser=" "$1"' _ "$UNITS/litmine.service"
check "the API key credential file exists, mode 0600" \
    sh -c '[ "$(stat -c %a "$1")" = 600 ]' _ "$DEST/etc/litmine/api_key"
check "OnFailure= is documented in the unit" grep -q '^#.*OnFailure=' "$UNITS/litmine.service"
check "bash completion installed" test -s "$DEST/usr/local/share/bash-completion/completions/litmine"
check "only units are installed as units" sh -c '[ "$(ls "$1" | sort | tr "\n" " ")" = "litmine-serve.service litmine.service litmine.timer " ]' _ "$UNITS"
check "serve unit points at the installed binary" grep -q '^ExecStart=/usr/local/bin/litmine .* serve$' "$UNITS/litmine-serve.service"
check "serve unit is hardened" sh -c 'for k in User=litmine Group=litmine StateDirectory=litmine ProtectSystem=strict \
    ProtectHome=yes NoNewPrivileges=yes PrivateTmp=yes ReadWritePaths=/var/lib/litmine \
    CapabilityBoundingSet= UMask=0027 "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" \
    CacheDirectory=litmine Environment=LITMINE_MODEL_CACHE=/var/cache/litmine IPAddressDeny=any IPAddressAllow=localhost SystemCallFilter=@system-service \
    SystemCallArchitectures=native MemoryDenyWriteExecute=yes MemoryMax= Restart=on-failure; do
    grep -q "^$k" "$1" || { echo "    missing $k" >&2; exit 1; }; done' _ "$UNITS/litmine-serve.service"
check "serve unit has no DynamicUser= (it reads the nightly job's database)" \
    sh -c '! grep -q "^DynamicUser=" "$1"' _ "$UNITS/litmine-serve.service"
check "timer is persistent with a randomized delay" sh -c 'grep -q "^Persistent=true" "$1" && grep -q "^RandomizedDelaySec=" "$1"' _ "$UNITS/litmine.timer"
check "timer fires between 21:00 and 05:00 US Eastern" sh -c '
    line=$(grep "^OnCalendar=" "$1"); case "$line" in *America/New_York*) ;; *) exit 1;; esac
    hour=$(echo "$line" | sed -E "s/.* ([0-9]{2}):[0-9]{2}:[0-9]{2}.*/\1/")
    [ "$hour" -lt 5 ] || [ "$hour" -ge 21 ]' _ "$UNITS/litmine.timer"
if command -v systemd-analyze >/dev/null 2>&1; then
    # verify needs ExecStart's binary to exist: point it at the build.
    mkdir -p "$SCRATCH/units"
    sed "s|^ExecStart=/usr/local/bin/litmine|ExecStart=$LITMINE|" "$UNITS/litmine.service" >"$SCRATCH/units/litmine.service"
    sed "s|^ExecStart=/usr/local/bin/litmine|ExecStart=$LITMINE|" "$UNITS/litmine-serve.service" >"$SCRATCH/units/litmine-serve.service"
    cp "$UNITS/litmine.timer" "$SCRATCH/units/"
    (cd "$SCRATCH/units" && systemd-analyze verify litmine.service litmine.timer litmine-serve.service) >"$SCRATCH/out" 2>&1
    check "systemd-analyze verify passes" sh -c '[ $1 -eq 0 ] || { cat "$2" >&2; exit 1; }' _ $? "$SCRATCH/out"
    systemd-analyze security --offline=yes "$SCRATCH/units/litmine.service" >"$SCRATCH/sec" 2>&1
    score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$SCRATCH/sec")
    echo "    systemd-analyze security: ${score:-?}" >&2
    check "systemd-analyze security rates the service 3.0 or better" \
        awk -v s="${score:-99}" 'BEGIN { exit !(s <= 3.0) }'
    systemd-analyze security --offline=yes "$SCRATCH/units/litmine-serve.service" >"$SCRATCH/sec" 2>&1
    score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$SCRATCH/sec")
    echo "    systemd-analyze security (serve): ${score:-?}" >&2
    check "systemd-analyze security rates the serve unit 3.0 or better" \
        awk -v s="${score:-99}" 'BEGIN { exit !(s <= 3.0) }'
else
    skip "systemd-analyze verify" "systemd-analyze not installed"
    skip "systemd-analyze security" "systemd-analyze not installed"
fi

# ---- the job inside the unit's sandbox (emulated) --------------------------

# syscalls GROUP...: the system calls of the groups, expanded recursively.
syscalls() {
    for g in "$@"; do
        case $g in
            @*) systemd-analyze syscall-filter "$g" | sed -E 's/#.*//; s/^[[:space:]]+//; s/[[:space:]]+$//' |
                    grep -v '^$' | tail -n +2 | while read -r n; do syscalls "$n"; done ;;
            *) echo "$g" ;;
        esac
    done
}

# What the unit allows: the first SystemCallFilter= line starts the list,
# a "~" line removes, a later plain line adds back.
allowed_syscalls() {
    grep '^SystemCallFilter=' "$1" | sed 's/^SystemCallFilter=//' >"$SCRATCH/filters"
    : >"$SCRATCH/allow"
    while read -r line; do
        case $line in
            "~"*) syscalls ${line#\~} | sort -u >"$SCRATCH/minus"
                  sort -u "$SCRATCH/allow" | comm -23 - "$SCRATCH/minus" >"$SCRATCH/allow.new"
                  mv "$SCRATCH/allow.new" "$SCRATCH/allow" ;;
            *) syscalls $line >>"$SCRATCH/allow" ;;
        esac
    done <"$SCRATCH/filters"
    sort -u "$SCRATCH/allow"
}

# sandbox_checks WHO TRACE UNIT PREFIX: every system call in the strace
# TRACE is in UNIT's SystemCallFilter=, every socket family in its
# RestrictAddressFamilies=, and no mapping is writable and executable.
sandbox_checks() {
    allowed_syscalls "$3" >"$4.allowed"
    # The trace starts in strace's child before the exec: skip to it.
    sed -n '/execve("[^"]*litmine"/,$p' "$2" | sed -nE 's/^[0-9]+ +([a-z0-9_]+)\(.*/\1/p' |
        sort -u >"$4.used"
    comm -23 "$4.used" "$4.allowed" >"$4.denied"
    echo "    $1: $(wc -l <"$4.used") distinct system calls, all checked against $(wc -l <"$4.allowed") allowed" >&2
    check "every system call of $1 is in SystemCallFilter=" sh -c \
        '[ -s "$2" ] && [ ! -s "$1" ] || { echo "    outside the filter:" $(cat "$1") >&2; exit 1; }' \
        _ "$4.denied" "$4.used"
    families=$(grep -o 'socket(AF_[A-Z0-9]*' "$2" | sed 's/socket(//' | sort -u | tr '\n' ' ')
    allowed_families=$(sed -n 's/^RestrictAddressFamilies=//p' "$3")
    check "every socket of $1 is in RestrictAddressFamilies= ($families)" sh -c '
        for f in $1; do case " $2 " in *" $f "*) ;; *) echo "    $f not allowed" >&2; exit 1;; esac; done' \
        _ "$families" "$allowed_families"
    check "$1 maps nothing both writable and executable" sh -c \
        '! grep -E "PROT_WRITE\|PROT_EXEC|PROT_EXEC\|PROT_WRITE" "$1" >&2' _ "$2"
}

REL=$ROOT/litmine   # the build the unit runs: no sanitizer runtime in the trace
if ! command -v systemd-analyze >/dev/null 2>&1 || ! command -v strace >/dev/null 2>&1; then
    skip "job under the sandbox's rules" "needs systemd-analyze and strace"
elif [ ! -x "$REL" ]; then
    skip "job under the sandbox's rules" "build ./litmine first (make check does)"
else
    JOB=$SCRATCH/job
    mkdir -p "$JOB/state" "$JOB/mirror/updatefiles"
    mirror_file "$FIXTURES/cli/articles.xml" "$JOB/mirror/updatefiles/pubmed99n0001.xml.gz"
    eutils_server_start 120
    cat >"$JOB/job.conf" <<CONF
[store]
path = $JOB/state/litmine.db
[models]
dir = $ROOT/models
[pipeline]
stages = sentences,ner,pairs,embed
[eutils]
base_url = $BASE/entrez/eutils/
email = tests@example.org
max_rps = 10
[sync]
base_url = file://$JOB/mirror/
[run]
watches = yes
sync = updates
CONF
    # As DynamicUser= would: an unprivileged user owning only the state.
    AS=""
    if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1 &&
        setpriv --reuid=65534 --regid=65534 --clear-groups test -r "$ROOT/models/ner.bin" 2>/dev/null; then
        chmod 711 "$SCRATCH" "$JOB"
        chmod 644 "$JOB/job.conf"
        chmod -R a+rX "$JOB/mirror"
        chown -R 65534:65534 "$JOB/state"
        AS="setpriv --reuid=65534 --regid=65534 --clear-groups"
    fi
    (umask 077; cd "$JOB/state" &&
        $AS "$REL" --config "$JOB/job.conf" watch add w --query malaria --since 2019/01/01 &&
        strace -f -qq -o "$JOB/trace" $AS "$REL" --config "$JOB/job.conf" run) >"$JOB/out" 2>&1
    check "the nightly job runs to completion ${AS:+as nobody }under strace" sh -c \
        '[ "$1" -eq 0 ] || { cat "$2" >&2; exit 1; }' _ $? "$JOB/out"
    check "watch and mirror both stored (300 + 3 articles)" sql_is "$JOB/state/litmine.db" \
        "select count(*) from articles" 303
    sandbox_checks "the job" "$JOB/trace" "$UNITS/litmine.service" "$JOB/job"
    check "files the job creates are private (UMask=0077)" sh -c \
        '[ -z "$(find "$1" -type f -perm /077)" ] || { find "$1" -type f -perm /077 -ls >&2; exit 1; }' \
        _ "$JOB/state"

    # The server inside the serve unit's sandbox (emulated likewise): the
    # job's database, read as nobody, pages fetched, then SIGTERM.
    : >"$JOB/serve.err"
    (umask 077; cd "$JOB/state" &&
        exec strace -f -qq -o "$JOB/serve.trace" $AS "$REL" --config "$JOB/job.conf" serve \
            --listen 127.0.0.1:0 --threads 2) >"$JOB/serve.out" 2>"$JOB/serve.err" &
    SPID=$!
    if wait_until 120 grep -q 'listening on' "$JOB/serve.err"; then
        URL=$(sed -n 's|.*listening on \(http://[^ ]*\)/$|\1|p' "$JOB/serve.err")
        for p in "/" "/search?q=malaria" "/api/pairs" "/pairs.csv" "/entity/autocomplete/?query=m"; do
            http "$p"
            check "serve answers $p inside the sandbox's rules" status_is 200
        done
    else
        check "serve starts under strace" false
        cat "$JOB/serve.err" >&2
    fi
    # The signal goes to the server, strace's child, as systemd would send it.
    LPID=$(ps -o pid= --ppid $SPID | tr -d ' ')
    kill -TERM ${LPID:-$SPID} 2>/dev/null
    n=0; while kill -0 $SPID 2>/dev/null && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
    kill -0 $SPID 2>/dev/null && kill -9 $SPID ${LPID:-}
    wait $SPID
    check "SIGTERM stops the server with status 0" test $? -eq 0
    sandbox_checks "the server" "$JOB/serve.trace" "$UNITS/litmine-serve.service" "$JOB/serve"
fi
finish
