# bash completion for vschan                                  -*- shell-script -*-
# Commands and options come from vschan itself (its --help), so they never
# drift from the code; templates from 'vschan template list'; domains from
# libvirt (with the -c URI given on the line); device identifiers from
# 'vschan list DOMAIN --json'.

_vschan_uri_args() {
    local i
    for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
        case ${COMP_WORDS[i]} in
            -c|--connect) printf '%s\n' -c "${COMP_WORDS[i + 1]}"; return ;;
            --connect=*) printf '%s\n' -c "${COMP_WORDS[i]#--connect=}"; return ;;
        esac
    done
}

_vschan_domains() {
    local uri=() line
    while IFS= read -r line; do uri+=("$line"); done < <(_vschan_uri_args)
    command -v virsh >/dev/null 2>&1 || return
    virsh "${uri[@]}" -q list --all --name 2>/dev/null
}

_vschan_idents() {
    local domain=$1 uri=() line
    while IFS= read -r line; do uri+=("$line"); done < <(_vschan_uri_args)
    vschan "${uri[@]}" list "$domain" --json 2>/dev/null |
        sed -n 's/.*"\(ident\|name\)": *"\([^"]*\)".*/\2/p' | sort -u
}

# Whether an option of a command takes a value (as the next word).
_vschan_takes_value() {
    case $1 in
        --template|--set|--templates-dir|--channel|--console|--serial|--parallel|\
        --into|-o|--output|--conf|--lock-dir|--timeout|--prefix|--bus|--addr|\
        --socket|--socket-dir|--junit|--format|-j|--jobs|--schema-dir|--max-reply|\
        --qemu-version|--machine|--memory|--filesystem|--network|--disk|--memorybacking|--digest|--escape|--drain-timeout|--env|\
        --domains|--tagged|--fleet|--tag|--qemu-conf|--vmid|--run-dir) return 0 ;;
    esac
    return 1
}

# The positional words of the command starting at index $1, up to the word
# under the cursor: options (anywhere) are skipped, with their value when
# they take one; after "--" every word is positional.
_vschan_positionals() {
    local j dashdash=
    for ((j = $1 + 1; j < COMP_CWORD; j++)); do
        [[ -n $dashdash ]] && { printf '%s\n' "${COMP_WORDS[j]}"; continue; }
        case ${COMP_WORDS[j]} in
            --) dashdash=1 ;;
            --*=*) ;;
            -*) _vschan_takes_value "${COMP_WORDS[j]}" && ((j++)) ;;
            *) printf '%s\n' "${COMP_WORDS[j]}" ;;
        esac
    done
}

_vschan() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    local i cmd= cmd_index=0 words
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            -c|--connect) ((i++)) ;;
            -*) ;;
            *) cmd=${COMP_WORDS[i]}; cmd_index=$i; break ;;
        esac
    done

    if [[ -z $cmd ]]; then
        case $prev in
            -c|--connect) COMPREPLY=($(compgen -W "qemu:///system qemu:///session qemu+ssh:// qemu+tcp:// qemu+tls://" -- "$cur")); return ;;
        esac
        if [[ $cur == -* ]]; then
            words="-c --connect -q --quiet -v --verbose -h --help -V --version"
        else
            words="help $(vschan --help 2>/dev/null | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p')"
        fi
        COMPREPLY=($(compgen -W "$words" -- "$cur"))
        return
    fi

    case $prev in
        --template)
            COMPREPLY=($(compgen -W "$(vschan template list 2>/dev/null | awk '{print $1}')" -- "$cur")); return ;;
        --into|-o|--output|--conf|--junit|--socket|--fleet|--qemu-conf)
            COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --domains)
            COMPREPLY=($(compgen -W "$(_vschan_domains)" -- "$cur")); return ;;
        --templates-dir|--lock-dir|--schema-dir|--socket-dir|--run-dir)
            COMPREPLY=($(compgen -d -- "$cur")); return ;;
        --format)
            COMPREPLY=($(compgen -W "text json junit github" -- "$cur")); return ;;
    esac
    # Any other option with a value: nothing to offer for free text.
    _vschan_takes_value "$prev" && return
    if [[ $cur == -* ]]; then
        words=$(vschan "$cmd" --help 2>/dev/null | grep -o -- '--[a-z][a-z-]*' | sort -u)
        COMPREPLY=($(compgen -W "$words" -- "$cur"))
        return
    fi

    # Positional arguments before the cursor; the first is the domain.
    local -a pos=()
    local line
    while IFS= read -r line; do pos+=("$line"); done < <(_vschan_positionals "$cmd_index")
    local npos=${#pos[@]}
    case $cmd in
        help)
            [[ $npos -eq 0 ]] && COMPREPLY=($(compgen -W "$(vschan --help 2>/dev/null | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p')" -- "$cur")) ;;
        template)
            if [[ $npos -eq 0 ]]; then COMPREPLY=($(compgen -W "list show" -- "$cur"))
            else COMPREPLY=($(compgen -W "$(vschan template list 2>/dev/null | awk '{print $1}')" -- "$cur")); fi ;;
        add|apply|list|remove|connect|wait-agent)
            local all=" ${COMP_WORDS[*]} "
            if [[ $cmd == connect && $all == *" --vmid"* ]]; then
                [[ $npos -eq 0 ]] && COMPREPLY=($(compgen -W "serial0 serial1 serial2 serial3" -- "$cur"))
            elif [[ $cmd == apply && ($all == *" --domains"* || $all == *" --tagged"* || $all == *" --fleet"*) ]]; then
                COMPREPLY=($(compgen -f -- "$cur"))
            elif [[ $npos -eq 0 ]]; then
                COMPREPLY=($(compgen -W "$(_vschan_domains)" -- "$cur"))
            elif [[ $cmd == remove || ($cmd == connect && $npos -eq 1) ]]; then
                COMPREPLY=($(compgen -W "$(_vschan_idents "${pos[0]}")" -- "$cur"))
            else
                COMPREPLY=($(compgen -f -- "$cur"))
            fi ;;
        agent)
            if [[ $npos -le 1 ]]; then
                COMPREPLY=($(compgen -W "ping info osinfo hostname time interfaces fsinfo users exec file-get file-put fsfreeze shutdown reboot set-password raw $(_vschan_domains)" -- "$cur"))
            fi ;;
        *)
            COMPREPLY=($(compgen -f -- "$cur")) ;;
    esac
}
complete -F _vschan vschan
