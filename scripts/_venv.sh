# Sourced by scripts/run and scripts/test: make .venv and install the project from the pinned
# constraints, only when pyproject.toml, constraints.txt or the wanted extra changed.
ensure_venv() {
    local extra="${1:-}" python stamp want
    python="${IPFIN_PYTHON:-$(command -v python3.11 || command -v python3)}"
    if [ ! -x .venv/bin/python ]; then
        echo "creating .venv with $python" >&2
        "$python" -m venv .venv
    fi
    stamp=.venv/.ipfin-installed
    want="$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16) extra=${extra}"
    if [ -f "$stamp" ] && grep -qxF "$want" "$stamp"; then
        return 0
    fi
    # A test install also serves the run command, so keep the richer stamp.
    if [ -z "$extra" ] && [ -f "$stamp" ] && grep -qxF "${want}test" "$stamp"; then
        return 0
    fi
    echo "installing ipfin${extra:+[$extra]} into .venv (pinned by constraints.txt) …" >&2
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".${extra:+[$extra]}" >&2
    echo "$want" > "$stamp"
}

# Sourced by scripts/test: the browser tests (tests/ui) drive Debian's chromium headless and need
# a CJK font for readable screenshots and Chromium's Chinese locale. Installed from Debian's registry when missing (as root, as CI
# runs); otherwise say what to install. Playwright never downloads a browser of its own.
ensure_chromium() {
    local missing=()
    [ -x /usr/bin/chromium ] || missing+=(chromium)
    # Chromium's own strings (选择文件, 年/月/日 in date fields) come from its locale files.
    [ -f /usr/lib/chromium/locales/zh-CN.pak ] || missing+=(chromium-l10n)
    fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-wqy-microhei)
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" != 0 ]; then
        echo "browser tests need: sudo apt-get install -y ${missing[*]}" >&2
        return 0
    fi
    echo "installing ${missing[*]} for the browser tests …" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
}
