/**
 * The fixed POSIX sh scripts that read and write Claude Code items inside a pod (dash, bash and
 * busybox alike; tools: stat, head, od, find, wc, sha256sum, ln, mv, rm, mkdir). They are static
 * text: the workspace, folder, item name and sizes arrive as positional parameters and the
 * content on stdin, so nothing a client sends is ever parsed as script.
 *
 * Every script first `cd`s into the workspace and works with relative paths made of fixed folder
 * names and a validated item name. `.claude` and `.claude/<folder>` must be real folders (`test
 * -h` before use); an item path that is a link is reported, never read or written through. The
 * checks come right before each use; a process in the pod that swaps a link in between could only
 * reach what it can reach itself, since these scripts run with the container's own rights.
 *
 * First output line of every script: `noworkspace`, `refused symlink|not-a-folder PATH`, or the
 * operation's own answer (below).
 */

const PRELUDE = `set -u
LC_ALL=C; export LC_ALL
ws=$1 sub=$2 form=$3
shift 3
cd "$ws" 2>/dev/null || { echo noworkspace; exit 0; }
dir() {
  if [ -h "$1" ]; then echo "refused symlink $1"; exit 0; fi
  [ -e "$1" ] || return 1
  [ -d "$1" ] || { echo "refused not-a-folder $1"; exit 0; }
}
`;

/**
 * `read WS FOLDER FORM MAX BUDGET MAXTREE DEPTH [NAME]`: `absent` when the kind's folder does not
 * exist, else `ok` and one block per item (just NAME's, when given):
 * `D name type size mtime state` where state is `content` or why the bytes are not there; with
 * `content`, the bytes follow as `od` hex lines and a `.` line. Skill items add `T type size path`
 * lines for the entries of their folder (MAXTREE + 1 at most, so truncation shows).
 */
export const READ_SCRIPT = `${PRELUDE}max=$1 budget=$2 maxtree=$3 depth=$4
dir .claude || { echo absent; exit 0; }
dir ".claude/$sub" || { echo absent; exit 0; }
echo ok
item() {
  n=$1 tree=
  if [ "$form" = folder ]; then
    p=.claude/$sub/$n
    if [ ! -h "$p" ]; then
      [ -d "$p" ] || return 0
      tree=$p p=$p/SKILL.md
    fi
  else
    p=.claude/$sub/$n.md
  fi
  if [ -h "$p" ]; then t=symlink
  elif [ -f "$p" ]; then t=file
  elif [ -e "$p" ]; then t=other
  else return 0
  fi
  set -- $(stat -c '%s %Y %h' "$p" 2>/dev/null)
  [ $# -eq 3 ] || return 0
  s=$1 r=
  if [ $t != file ]; then r=not-a-file
  elif [ "$3" -gt 1 ]; then r=hard-linked
  elif [ "$s" -gt "$max" ]; then r=too-large
  elif [ "$s" -gt "$budget" ]; then r=budget
  fi
  printf 'D %s %s %s %s %s\\n' "$n" "$t" "$s" "$2" "\${r:-content}"
  if [ -z "$r" ]; then
    head -c $((max + 1)) "$p" | od -An -v -tx1
    echo .
    budget=$((budget - s))
  fi
  [ -n "$tree" ] || return 0
  find "$tree" -mindepth 1 -maxdepth "$depth" 2>/dev/null | head -n $((maxtree + 1)) |
  while IFS= read -r q; do
    case $q in "$tree"/*) ;; *) continue ;; esac
    x=\${q#"$tree"/}
    case /$x/ in */../*|*/./*|*//*) continue ;; esac
    case \${x##*/} in .*.rdev-*) continue ;; esac
    if [ -h "$q" ]; then k=symlink; elif [ -d "$q" ]; then k=directory; elif [ -f "$q" ]; then k=file; else k=other; fi
    z=$(stat -c %s "$q" 2>/dev/null) || continue
    printf 'T %s %s %s\\n' "$k" "$z" "$x"
  done
}
if [ $# -ge 5 ]; then item "$5"; exit 0; fi
for e in ".claude/$sub"/*; do
  n=\${e##*/}
  if [ "$form" = file ]; then case $n in *.md) n=\${n%.md} ;; *) continue ;; esac; fi
  case $n in ''|*[!a-z0-9-]*|-*|*-) continue ;; esac
  [ \${#n} -le 64 ] && item "$n"
done
exit 0
`;

/**
 * `write WS FOLDER FORM NAME LENGTH MODE ETAG CMPBYTES`: stores the next LENGTH bytes of stdin as
 * the item (MODE `create` or `replace`; ETAG `-` for none). Answers `written SIZE MTIME`,
 * `exists`, `missing`, `stale` or `not-a-file symlink|other`. Stdin is read by count because an
 * exec under the v4 protocol cannot signal its end.
 */
export const WRITE_SCRIPT = `${PRELUDE}n=$1 len=$2 mode=$3 etag=$4 cmp=$5
need() {
  dir "$1" && return 0
  [ "$mode" = create ] || { echo missing; exit 0; }
  mkdir "$1" 2>/dev/null
  dir "$1" || { echo "rdev-config: cannot create $1" >&2; exit 1; }
}
need .claude
need ".claude/$sub"
if [ "$form" = folder ]; then
  p=.claude/$sub/$n
  if [ -h "$p" ]; then echo not-a-file symlink; exit 0; fi
  if [ -e "$p" ] && [ ! -d "$p" ]; then echo not-a-file other; exit 0; fi
  need "$p"
  f=$p/SKILL.md
else
  p=.claude/$sub f=.claude/$sub/$n.md
fi
if [ -h "$f" ]; then echo not-a-file symlink; exit 0; fi
if [ -e "$f" ]; then
  [ -f "$f" ] || { echo not-a-file other; exit 0; }
  [ "$mode" = create ] && { echo exists; exit 0; }
elif [ "$mode" = replace ]; then
  echo missing; exit 0
fi
t=$p/.$n.rdev-$$.tmp
trap 'rm -f "$t"' EXIT
head -c "$len" > "$t" || exit 1
got=$(($(wc -c < "$t")))
[ "$got" -eq "$len" ] || { echo "rdev-config: expected $len bytes on stdin, got $got" >&2; exit 1; }
if [ "$mode" = create ]; then
  if ! ln "$t" "$f" 2>/dev/null; then
    if [ -e "$f" ] || [ -h "$f" ]; then echo exists; exit 0; fi
    echo "rdev-config: cannot create $f" >&2; exit 1
  fi
else
  if [ -h "$f" ]; then echo not-a-file symlink; exit 0; fi
  if [ -d "$f" ]; then echo not-a-file other; exit 0; fi
  if [ "$etag" != - ]; then
    h=$(head -c "$cmp" "$f" | sha256sum) || exit 1
    [ "\${h%% *}" = "$etag" ] || { echo stale; exit 0; }
  fi
  mv -f "$t" "$f" || exit 1
fi
set -- $(stat -c '%s %Y' "$f")
echo "written $1 $2"
`;

/**
 * `remove WS FOLDER FORM NAME ETAG CMPBYTES`: deletes the item (a skill's folder is renamed aside
 * first, then removed). Answers `removed`, `missing`, `stale` or `not-a-file symlink|other`.
 */
export const REMOVE_SCRIPT = `${PRELUDE}n=$1 etag=$2 cmp=$3
dir .claude || { echo missing; exit 0; }
dir ".claude/$sub" || { echo missing; exit 0; }
if [ "$form" = folder ]; then
  p=.claude/$sub/$n
  if [ -h "$p" ]; then echo not-a-file symlink; exit 0; fi
  [ -d "$p" ] || { echo missing; exit 0; }
  f=$p/SKILL.md
else
  p=.claude/$sub/$n.md f=.claude/$sub/$n.md
fi
if [ -h "$f" ]; then echo not-a-file symlink; exit 0; fi
[ -e "$f" ] || { echo missing; exit 0; }
[ -f "$f" ] || { echo not-a-file other; exit 0; }
if [ "$etag" != - ]; then
  h=$(head -c "$cmp" "$f" | sha256sum) || exit 1
  [ "\${h%% *}" = "$etag" ] || { echo stale; exit 0; }
fi
if [ "$form" = folder ]; then
  g=.claude/$sub/.$n.rdev-deleted-$$
  if [ -e "$g" ] || [ -h "$g" ]; then echo "rdev-config: $g is in the way" >&2; exit 1; fi
  mv "$p" "$g" || exit 1
  rm -rf "$g" || exit 1
else
  rm -f "$f" || exit 1
fi
echo removed
`;

/** `$0` of the scripts, shown by `ps` in the pod. */
export const SCRIPT_NAME = 'rdev-config';
