# toolchain.sh — sourced by every script that runs go (and exported by the
# Makefile): the Go toolchain this module is built, tested and scanned with
# is the one go.mod's go line names. A machine's own Go may be older and
# carry known standard-library vulnerabilities, and this machine's go env
# says GOTOOLCHAIN=local, under which go.mod's line alone only refuses to
# build; GOTOOLCHAIN=goX.Y.Z makes the go command fetch that release from
# the module proxy once (about 76 MB, kept in the module cache) and run it.
GOTOOLCHAIN=go$(sed -n 's/^go //p' "$(dirname "${BASH_SOURCE[0]}")/../go.mod")
export GOTOOLCHAIN
