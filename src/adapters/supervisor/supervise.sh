#!/bin/sh
# rdev run supervisor: starts a command detached from the caller's connection, records its output
# and exit status in a run folder, and streams that folder back by byte offset.
#
# Runs on any POSIX sh (dash, bash, busybox ash) and needs only these external programs:
# setsid, sleep, head, wc, mkdir, mv, rm, cat, dd (optional), env (only for argv[0] starting with "-"),
# mkfifo (only for commands whose stdin stays open).
# User data arrives exclusively as positional parameters or on stdin; it never becomes script text.
#
#   start  RUN_DIR CWD ARGV...          -> one status line (see `status`)
#   write  PATH LENGTH [PATH LENGTH]... -> stores the next LENGTH bytes of stdin at each PATH in turn
#                                          (owner-only, atomically); prints `wrote LENGTH` per file
#   follow RUN_DIR OUT_OFFSET ERR_OFFSET [MAX_FRAME_BYTES [HEARTBEAT_SECONDS]]
#                                       -> frames: `O n\n`+n bytes, `E n\n`+n bytes, `H\n`,
#                                          last `X code N[ REASON]\n` or `L REASON\n`; REASON is
#                                          no-run-dir, not-started, waiter-gone, start-interrupted,
#                                          bad-offset or no-output-files
#   status RUN_DIR                      -> `running PGID` | `exited code N[ REASON]` | `starting`
#                                          | `not-started` | `lost no-run-dir` | `lost waiter-gone`
#   kill   RUN_DIR SIGNAL               -> `signalled PGID` | `gone` | `not-started`
#   stop   RUN_DIR GRACE_SECONDS        -> `gone` | `stopped TERM` | `stopped KILL` | `not-started`
#   remove RUN_DIR                      -> `removed` | `absent` (exit 3 and `busy` while running)
#   input  RUN_DIR OFFSET LENGTH EOF    -> stores the next LENGTH bytes of stdin at byte OFFSET of the
#                                          run's input log (idempotent), and with EOF 1 closes the
#                                          command's stdin after them: `appended SIZE` | `ended`
#                                          | `not-open` | `gap SIZE`
#
# Run folder (mode 0700): stdin, env (optional `NAME=VALUE` lines exported to the command; both are
# deleted as soon as the command holds them, so prompts and secrets do not rest on disk), stdout, stderr
# (appended), started/ (the once-only guard), waiter (`PID START`), pid (the command's process group
# id), exit (`code N[ REASON]`, renamed into place when complete; N above 128 is 128 + a signal
# number; REASON is no-cwd with 126 or launch-failed with 125).
#
# Open stdin: when the run folder holds `stdin-open` at start, the command reads a FIFO
# (`input.fifo`) instead of the stdin file. A feeder copies the append-only log `input` into it as
# `input` grows, records how far it got in `input.consumed`, and closes the FIFO once it passed the
# size written in `input.eof`. Bytes only ever go at the end of `input`, each at the offset the
# caller names, so a repeated `input` call never delivers anything twice. The log is deleted when
# the command ends.

set -u
unset CDPATH
# Field splitting of /proc lines relies on the default separators, whatever the caller exported.
IFS=' 	
'

die() {
  printf 'supervise: %s\n' "$*" >&2
  exit 2
}

# Decimal without leading zeros: shells read `010` as octal in arithmetic.
is_num() {
  case $1 in
  0) return 0 ;;
  '' | 0* | *[!0-9]*) return 1 ;;
  esac
  return 0
}

need_abs() {
  case $1 in
  /*) ;;
  *) die "$2 must be an absolute path" ;;
  esac
}

# Write one line to FILE atomically: readers see the old content or the whole new line.
put() {
  printf '%s\n' "$2" >"$1.tmp.$$" && mv -f "$1.tmp.$$" "$1"
}

# First line of FILE into $line; fails when the file is missing.
get() {
  line=
  [ -f "$1" ] || return 1
  { IFS= read -r line || [ -n "$line" ]; } 2>/dev/null <"$1"
}

# Sleep SECONDS; a sleep without fractions (minimal busybox builds) waits a whole second instead of
# spinning.
frac=
nap() {
  if [ -z "$frac" ]; then
    frac=0
    sleep 0.001 2>/dev/null && frac=1
  fi
  if [ "$frac" = 1 ]; then sleep "$1"; else sleep 1; fi
}

# Start time (clock ticks since boot) of PID, or `-` without /proc; pairs with the pid so that a
# recycled pid is not taken for the original process.
start_time() {
  st=-
  if [ -r "/proc/$1/stat" ] && IFS= read -r pl 2>/dev/null <"/proc/$1/stat"; then
    set -- ${pl##*) }
    [ $# -ge 20 ] && shift 19 && st=$1
  fi
}

# Is PID running (not a zombie) and, when START is known, still the same process?
proc_alive() {
  kill -0 "$1" 2>/dev/null || return 1
  if [ -r "/proc/$1/stat" ] && IFS= read -r pl 2>/dev/null <"/proc/$1/stat"; then
    want=$2
    set -- ${pl##*) }
    case $1 in Z | X | x) return 1 ;; esac
    if [ "$want" != - ] && [ $# -ge 20 ]; then
      shift 19
      [ "$1" = "$want" ] || return 1
    fi
  fi
  return 0
}

# Is any non-zombie process left in process group PG? Zombies answer `kill -0` until their parent
# (often an init that reaps lazily) collects them, so /proc is consulted when present.
group_alive() {
  kill -0 "-$1" 2>/dev/null || return 1
  [ -d /proc/self ] || return 0
  for f in /proc/[0-9]*/stat; do
    IFS= read -r pl 2>/dev/null <"$f" || continue
    set -- "$1" ${pl##*) }
    [ "$4" = "$1" ] || continue
    case $2 in Z | X | x) continue ;; esac
    return 0
  done
  return 1
}

# The run's state as one line in $state.
run_status() {
  if [ ! -d "$1" ]; then
    state='lost no-run-dir'
  elif get "$1/exit"; then
    state="exited $line"
  elif [ ! -d "$1/started" ]; then
    state=not-started
  elif ! get "$1/waiter"; then
    state=starting
  else
    set -- "$1" $line
    ps_start=${3:--}
    if proc_alive "$2" "$ps_start"; then
      if get "$1/pid"; then state="running $line"; else state=starting; fi
    elif get "$1/exit"; then
      # The waiter finished between the two looks.
      state="exited $line"
    else
      state='lost waiter-gone'
    fi
  fi
}

# The command's process group id into $pg; fails when it was never recorded.
read_pgid() {
  get "$1/pid" || return 1
  pg=$line
  is_num "$pg" && [ "$pg" -gt 1 ] || die "corrupt pid file in $1"
}

[ $# -ge 1 ] || die 'usage: supervise.sh start|write|input|follow|status|kill|stop|remove ...'
op=$1
shift

case $op in
start)
  [ $# -ge 3 ] || die 'usage: start RUN_DIR CWD ARGV...'
  d=$1
  cwd=$2
  shift 2
  need_abs "$d" RUN_DIR
  need_abs "$cwd" CWD
  case $0 in
  /*) self=$0 ;;
  *) self=$(pwd)/$0 ;;
  esac
  # Owner-only (`write` creates folders the same way), in a subshell so that the command does not
  # inherit the umask. Appending creates the
  # files without truncating what a concurrent or earlier start produced; stdin is not made again
  # once the command took (and deleted) it.
  (
    umask 077
    mkdir -p "$d" || exit 1
    : >>"$d/stdout" && : >>"$d/stderr" || exit 1
    if [ ! -d "$d/started" ]; then
      : >>"$d/stdin" || exit 1
      if [ -f "$d/stdin-open" ]; then : >>"$d/input" || exit 1; fi
    fi
  ) || die "cannot create files in $d"
  # mkdir is atomic: exactly one start per run folder gets past it, so a retried or duplicated
  # start never runs the command twice.
  if mkdir "$d/started" 2>/dev/null; then
    # The outer setsid becomes a process group leader, which makes the inner one fork and return
    # at once: the waiter is detached without `&`, because an asynchronous list would start with
    # SIGINT and SIGQUIT ignored and the command would inherit that (dash and busybox cannot undo
    # it with `trap -`).
    if ! setsid setsid sh "$self" _waiter "$d" "$cwd" "$@" </dev/null >/dev/null 2>>"$d/supervise.log"; then
      printf 'rdev: cannot start the supervisor (is setsid installed?)\n' >>"$d/stderr"
      rm -f "$d/env" "$d/stdin"
      put "$d/exit" 'code 125 launch-failed'
    fi
  fi
  # Wait until the process group exists (or the run already ended), so that the caller can signal
  # it as soon as this returns. Give up early when the waiter died or never appeared.
  i=0
  while [ ! -f "$d/pid" ] && [ ! -f "$d/exit" ] && [ $i -lt 1000 ]; do
    if get "$d/waiter"; then
      set -- $line
      proc_alive "$1" "${2:--}" || break
    elif [ $i -ge 500 ]; then
      break
    fi
    nap 0.01
    i=$((i + 1))
  done
  run_status "$d"
  printf '%s\n' "$state"
  ;;

_waiter)
  # Session leader, detached from the starting connection. It stays alive until the command
  # ends, so that the exit status is always recorded; a group kill of the command never reaches
  # it because it lives in a different session.
  d=$1
  cwd=$2
  self=$0
  shift 2
  start_time $$
  put "$d/waiter" "$$ $st"
  if ! cd "$cwd" 2>/dev/null; then
    rm -f "$d/env" "$d/stdin" "$d/input"
    printf 'rdev: cannot change directory to %s\n' "$cwd" >>"$d/stderr"
    put "$d/exit" 'code 126 no-cwd'
  elif [ -f "$d/stdin-open" ]; then
    fifo=$d/input.fifo
    rm -f "$fifo"
    if ! mkfifo -m 600 "$fifo" 2>>"$d/supervise.log"; then
      printf 'rdev: cannot keep stdin open (is mkfifo installed?)\n' >>"$d/stderr"
      rm -f "$d/env" "$d/stdin" "$d/input"
      put "$d/exit" 'code 125 launch-failed'
      exit 0
    fi
    # The feeder opens the FIFO for writing and the command for reading: each open waits for the
    # other. The feeder lives in the waiter's session, so a group kill of the command spares it.
    sh "$self" _feeder "$d" </dev/null >/dev/null 2>>"$d/supervise.log" &
    feeder=$!
    (exec setsid sh "$self" _exec "$d" "$@") <"$fifo" >>"$d/stdout" 2>>"$d/stderr"
    code=$?
    kill "$feeder" 2>/dev/null
    rm -f "$d/env" "$d/stdin" "$fifo"
    # The exit file first: from then on `input` answers `ended` and writes nothing. Input nobody
    # read must not rest in the folder any more than the stdin file does.
    put "$d/exit" "code $code"
    rm -f "$d/input"
  else
    # A foreground subshell is not a group leader, so setsid turns it into the command's own
    # session and process group without forking; the waiter reaps it directly.
    (exec setsid sh "$self" _exec "$d" "$@") <"$d/stdin" >>"$d/stdout" 2>>"$d/stderr"
    code=$?
    rm -f "$d/env" "$d/stdin"
    put "$d/exit" "code $code"
  fi
  ;;

_feeder)
  # Copies the input log into the command's stdin as it grows. The descriptors share their file
  # position with every head started on them, so each copy continues where the last one stopped.
  d=$1
  exec 3>"$d/input.fifo" || exit 1
  exec 4<"$d/input" || exit 1
  off=0
  idle=0
  while :; do
    sz=$(wc -c <"$d/input" 2>/dev/null) || exit 0
    n=$((sz - off))
    if [ "$n" -gt 0 ]; then
      # Fails once the command closed its stdin or ended: nothing more can be delivered.
      head -c "$n" <&4 >&3 || exit 0
      off=$((off + n))
      put "$d/input.consumed" "$off"
      idle=0
      continue
    fi
    if get "$d/input.eof" && is_num "$line" && [ "$off" -ge "$line" ]; then
      # Closing descriptor 3 (by exiting) is the end of file the command reads.
      exit 0
    fi
    [ -f "$d/exit" ] && exit 0
    # Quick right after input (it tends to come in bursts), slower when quiet.
    if [ "$idle" -lt 20 ]; then
      step=2
    elif [ "$idle" -lt 100 ]; then
      step=5
    else
      step=10
    fi
    if [ "$step" -lt 10 ]; then nap "0.0$step"; else nap "0.$step"; fi
    idle=$((idle + step))
  done
  ;;

_exec)
  # Now the leader of a fresh session: $$ is the process group id that kill and stop signal.
  # It is recorded before the exec so that the group exists once the pid file does.
  d=$1
  shift
  put "$d/pid" "$$" || exit 125
  # The environment arrives as a file, not as arguments: values (tokens, keys) stay out of every
  # process's argv, which any user of the machine can read. Each line is handed to `export` as
  # one word, so a value is never parsed as shell text.
  if [ -f "$d/env" ]; then
    while IFS= read -r kv || [ -n "$kv" ]; do
      case $kv in
      [A-Za-z_]*=*) ;;
      *) continue ;;
      esac
      case ${kv%%=*} in
      *[!A-Za-z0-9_]*) continue ;;
      esac
      export "$kv"
    done <"$d/env"
  fi
  # Both are held now (stdin is this process's descriptor 0): nothing later in the workspace, nor
  # the retention period, gets to read the prompt or the environment values from the folder.
  rm -f "$d/env" "$d/stdin"
  case $1 in
  # Shells parse options of `exec` differently (dash has no `--`); env takes `--` everywhere.
  -*) exec env -- "$@" ;;
  esac
  exec "$@"
  ;;

write)
  [ $# -ge 2 ] && [ $(($# % 2)) -eq 0 ] || die 'usage: write PATH LENGTH [PATH LENGTH]...'
  # Everything is checked before a byte is read, so a bad pair never leaves half the files written.
  total=0
  for_pairs() {
    while [ $# -gt 0 ]; do
      need_abs "$1" PATH
      is_num "$2" || die "invalid LENGTH: $2"
      total=$((total + $2))
      shift 2
    done
  }
  for_pairs "$@"
  # Run folders hold prompts and environment values: readable by their owner only.
  umask 077
  first=$1
  dir=${first%/*}
  [ -z "$dir" ] || mkdir -p "$dir" || die "cannot create $dir"
  bundle=$first.in.$$
  # One head reads the whole input: head -c stops after its count, so this works on connections
  # whose stdin never closes, but some heads (busybox) read past their count on a pipe. Reading
  # the pieces back from a regular file is exact with every head.
  if ! head -c "$total" >"$bundle"; then
    rm -f "$bundle"
    die "cannot write $first"
  fi
  got=$(wc -c <"$bundle")
  if [ $((got)) -ne "$total" ]; then
    rm -f "$bundle"
    die "short input: got $((got)) of $total bytes"
  fi
  if [ $# -eq 2 ]; then
    mv -f "$bundle" "$first" || die "cannot rename into $first"
    printf 'wrote %s\n' "$total"
    exit 0
  fi
  exec 5<"$bundle"
  rm -f "$bundle"
  while [ $# -gt 0 ]; do
    p=$1
    len=$2
    shift 2
    dir=${p%/*}
    [ -z "$dir" ] || mkdir -p "$dir" || die "cannot create $dir"
    tmp=$p.tmp.$$
    if ! head -c "$len" <&5 >"$tmp"; then
      rm -f "$tmp"
      die "cannot write $p"
    fi
    mv -f "$tmp" "$p" || die "cannot rename into $p"
    printf 'wrote %s\n' "$len"
  done
  ;;

input)
  [ $# -eq 4 ] || die 'usage: input RUN_DIR OFFSET LENGTH EOF'
  d=$1
  at=$2
  len=$3
  eof=$4
  need_abs "$d" RUN_DIR
  is_num "$at" && is_num "$len" || die 'OFFSET and LENGTH must be decimal integers'
  case $eof in
  0 | 1) ;;
  *) die "invalid EOF: $eof" ;;
  esac
  umask 077
  # The bytes are read whatever the answer: some transports cannot end stdin, so the caller's
  # stream is always taken to its known length.
  if [ ! -d "$d" ]; then
    head -c "$len" >/dev/null
    printf 'not-open\n'
    exit 0
  fi
  tmp=$d/input.in.$$
  if ! head -c "$len" >"$tmp"; then
    rm -f "$tmp"
    die 'cannot store the input'
  fi
  got=$(wc -c <"$tmp")
  if [ $((got)) -ne "$len" ]; then
    rm -f "$tmp"
    die "short input: got $((got)) of $len bytes"
  fi
  if [ -f "$d/exit" ]; then
    rm -f "$tmp"
    printf 'ended\n'
    exit 0
  fi
  if [ ! -f "$d/input" ]; then
    rm -f "$tmp"
    printf 'not-open\n'
    exit 0
  fi
  if ! sz=$(wc -c <"$d/input" 2>/dev/null); then
    # Removed by the waiter since the look above: the command ended.
    rm -f "$tmp"
    if [ -f "$d/exit" ]; then printf 'ended\n'; else printf 'not-open\n'; fi
    exit 0
  fi
  sz=$((sz))
  if [ "$sz" -lt "$at" ]; then
    rm -f "$tmp"
    printf 'gap %s\n' "$sz"
    exit 0
  fi
  end=$((at + len))
  # The bytes at an offset are always the same ones: what an earlier, interrupted call appended
  # already is skipped, and only the rest goes on the end.
  if [ "$sz" -lt "$end" ]; then
    if ! { head -c $((sz - at)) >/dev/null && cat; } <"$tmp" >>"$d/input"; then
      rm -f "$tmp"
      die 'cannot append to the input log'
    fi
  fi
  rm -f "$tmp"
  if [ -f "$d/exit" ]; then
    # The command ended while this was written: the bytes reached nobody, and must not rest here.
    rm -f "$d/input"
    printf 'ended\n'
    exit 0
  fi
  [ "$eof" = 0 ] || put "$d/input.eof" "$end" || die 'cannot record the end of input'
  printf 'appended %s\n' "$end"
  ;;

follow)
  [ $# -ge 3 ] || die 'usage: follow RUN_DIR OUT_OFFSET ERR_OFFSET [MAX_FRAME_BYTES [HEARTBEAT_SECONDS]]'
  d=$1
  o=$2
  e=$3
  max=${4:-65536}
  hb=${5:-10}
  need_abs "$d" RUN_DIR
  is_num "$o" && is_num "$e" || die 'offsets must be decimal integers'
  is_num "$max" && [ "$max" -gt 0 ] || die "invalid MAX_FRAME_BYTES: $max"
  is_num "$hb" && [ "$hb" -gt 0 ] || die "invalid HEARTBEAT_SECONDS: $hb"

  lost() {
    printf 'L %s\n' "$1"
    exit 0
  }
  [ -d "$d" ] || lost no-run-dir
  [ -d "$d/started" ] || lost not-started
  [ -f "$d/stdout" ] && [ -f "$d/stderr" ] || lost no-output-files
  exec 3<"$d/stdout" 4<"$d/stderr"

  # The shell's descriptors 3 and 4 share one file position with every head started on them, so
  # each frame continues where the previous one stopped without re-reading the file.
  seek() {
    [ "$2" -gt 0 ] || return 0
    if command -v dd >/dev/null 2>&1; then
      dd bs=1 skip="$2" count=0 <&"$1" 2>/dev/null && return 0
    fi
    head -c "$2" <&"$1" >/dev/null
  }
  size() {
    sz=$(wc -c <"$1") || return 1
    sz=$((sz))
  }
  size "$d/stdout" && [ "$o" -le "$sz" ] || lost bad-offset
  size "$d/stderr" && [ "$e" -le "$sz" ] || lost bad-offset
  seek 3 "$o" || lost bad-offset
  seek 4 "$e" || lost bad-offset

  # Send everything appended to one stream since the last look, in frames of at most MAX bytes.
  # Sizes are taken before reading, so every head below finds its n bytes in the file.
  pump() {
    if [ "$1" = O ]; then
      size "$d/stdout" || return 0
      n=$((sz - o))
    else
      size "$d/stderr" || return 0
      n=$((sz - e))
    fi
    while [ "$n" -gt 0 ]; do
      k=$n
      [ "$k" -gt "$max" ] && k=$max
      printf '%s %s\n' "$1" "$k" || exit 1
      if [ "$1" = O ]; then
        head -c "$k" <&3 || exit 1
        o=$((o + k))
      else
        head -c "$k" <&4 || exit 1
        e=$((e + k))
      fi
      n=$((n - k))
      moved=1
    done
  }

  idle=0      # centiseconds since output last arrived: drives the poll back-off
  silent=0    # centiseconds since the last frame of any kind: drives heartbeats
  starting=0  # centiseconds spent waiting for a waiter that never registered
  wpid=
  while :; do
    fin=0
    [ -f "$d/exit" ] && fin=1
    moved=0
    pump O
    pump E
    if [ "$moved" = 1 ]; then
      idle=0
      silent=0
      nap 0.02
      continue
    fi
    if [ "$fin" = 1 ]; then
      # Everything written before the exit file appeared has been sent.
      get "$d/exit"
      printf 'X %s\n' "$line" || exit 1
      exit 0
    fi
    [ -d "$d" ] || lost no-run-dir
    if [ -z "$wpid" ]; then
      if get "$d/waiter"; then
        set -- $line
        wpid=$1
        ps_start=${2:--}
      elif [ "$starting" -ge 1000 ]; then
        lost start-interrupted
      fi
    fi
    if [ -n "$wpid" ] && ! proc_alive "$wpid" "$ps_start"; then
      # The waiter may have written the exit file and ended since the look above.
      if [ ! -f "$d/exit" ]; then
        pump O
        pump E
        lost waiter-gone
      fi
      continue
    fi
    if [ "$silent" -ge $((hb * 100)) ]; then
      printf 'H\n' || exit 1
      silent=0
    fi
    # Poll fast right after output (commands tend to write in bursts), slower when quiet.
    if [ "$idle" -lt 20 ]; then
      step=2
    elif [ "$idle" -lt 100 ]; then
      step=5
    elif [ "$idle" -lt 300 ]; then
      step=10
    else
      step=25
    fi
    if [ "$step" -lt 10 ]; then nap "0.0$step"; else nap "0.$step"; fi
    idle=$((idle + step))
    silent=$((silent + step))
    [ -n "$wpid" ] || starting=$((starting + step))
  done
  ;;

status)
  [ $# -eq 1 ] || die 'usage: status RUN_DIR'
  need_abs "$1" RUN_DIR
  run_status "$1"
  printf '%s\n' "$state"
  ;;

kill)
  [ $# -eq 2 ] || die 'usage: kill RUN_DIR SIGNAL'
  d=$1
  need_abs "$d" RUN_DIR
  case $2 in
  TERM | KILL | INT | HUP | QUIT | USR1 | USR2) sig=$2 ;;
  *) die "unsupported signal: $2" ;;
  esac
  if ! read_pgid "$d"; then
    printf 'not-started\n'
    exit 0
  fi
  # `kill -SIG -PGID` is the one spelling dash, bash and busybox all accept for a group.
  if kill "-$sig" "-$pg" 2>/dev/null; then
    printf 'signalled %s\n' "$pg"
  else
    printf 'gone\n'
  fi
  ;;

stop)
  [ $# -eq 2 ] || die 'usage: stop RUN_DIR GRACE_SECONDS'
  d=$1
  need_abs "$d" RUN_DIR
  is_num "$2" || die "invalid GRACE_SECONDS: $2"
  if ! read_pgid "$d"; then
    printf 'not-started\n'
    exit 0
  fi
  if ! group_alive "$pg"; then
    printf 'gone\n'
    exit 0
  fi
  kill -TERM "-$pg" 2>/dev/null
  i=0
  while [ $i -lt $(($2 * 10)) ]; do
    if ! group_alive "$pg"; then
      printf 'stopped TERM\n'
      exit 0
    fi
    nap 0.1
    i=$((i + 1))
  done
  kill -KILL "-$pg" 2>/dev/null
  i=0
  while [ $i -lt 50 ] && group_alive "$pg"; do
    nap 0.02
    i=$((i + 1))
  done
  printf 'stopped KILL\n'
  ;;

remove)
  [ $# -eq 1 ] || die 'usage: remove RUN_DIR'
  d=$1
  # Retention must never become an arbitrary recursive delete.
  need_abs "$d" RUN_DIR
  case $d in
  */.rdev/runs/?*) ;;
  *) die "refusing to remove $d: not a run folder" ;;
  esac
  case $d in
  */../* | */.. | */./* | */.) die "refusing to remove $d: not a normalised path" ;;
  esac
  case ${d#*/.rdev/runs/} in
  */?*) die "refusing to remove $d: not a run folder" ;;
  esac
  if [ ! -d "$d" ]; then
    printf 'absent\n'
    exit 0
  fi
  run_status "$d"
  case $state in
  running* | starting)
    printf 'busy\n'
    exit 3
    ;;
  esac
  rm -rf "$d" || die "cannot remove $d"
  printf 'removed\n'
  ;;

*)
  die "unknown operation: $op"
  ;;
esac
