# shellcheck shell=sh
# Opens a reporter identity sealed by the module (the "reporter" field of
# a report hash; ngx_lapor_module/lapor_crypto.c): "v1." and base64url of
# nonce (12 bytes) || ciphertext || tag (16 bytes), AES-256-GCM under the
# lapor_identity_key, the report's key name as associated data.
#
# "openssl enc" refuses AEAD ciphers, so the parts are done one by one with
# the openssl command line and shell arithmetic:
#   - the plaintext: AES-256-CTR from the counter block nonce || 00000002
#     (GCM's first keystream block);
#   - the tag check: "openssl mac ... GMAC" over A' = the associated data,
#     zero-padded to 16 bytes, followed by the ciphertext, gives
#     E(J0) ^ GHASH(A', {}); GHASH is linear in its blocks and both runs
#     have the same blocks but the last (the lengths), so the GCM tag is
#     that value ^ (L ^ L') * H, with H = AES(K, 0^128): one GF(2^128)
#     multiplication here, in shell arithmetic on 32-bit words;
#   - the tags are compared; a value that does not open is refused.
# Needs openssl (3.0 or later, for "openssl mac"), od, base64, head, tail.

# lapor_key_hex FILE: the 32-byte key of a lapor_identity_key file (64 hex
# digits, or base64/base64url of 32 bytes) as 64 lowercase hex digits.
lapor_key_hex() {
    [ -r "$1" ] || return 1
    _k=$(tr -d ' \t\r\n' < "$1")
    case $_k in
        *[!0-9A-Fa-f]*) ;;
        *)
            [ ${#_k} -eq 64 ] || return 1
            printf '%s\n' "$_k" | tr 'A-F' 'a-f'
            return 0 ;;
    esac
    case $_k in
        *[!A-Za-z0-9+/_=-]*) return 1 ;;
    esac
    case ${#_k} in
        43) _k="$_k=" ;;
        44) ;;
        *) return 1 ;;
    esac
    _k=$(printf '%s' "$_k" | tr -- '-_' '+/' | base64 -d 2> /dev/null \
        | od -An -v -tx1 | tr -d ' \n') || return 1
    [ ${#_k} -eq 64 ] || return 1
    printf '%s\n' "$_k"
}

# lapor_gf_mul X Y (32 hex digits each): X * Y in GCM's GF(2^128), 32 hex
# digits.
lapor_gf_mul() {
    # shellcheck disable=SC2046
    set -- $(printf '%s' "$1" | sed 's/\(........\)/0x\1 /g') \
        $(printf '%s' "$2" | sed 's/\(........\)/0x\1 /g')
    _z0=0 _z1=0 _z2=0 _z3=0
    _v0=$(($5)) _v1=$(($6)) _v2=$(($7)) _v3=$(($8))
    for _x in "$1" "$2" "$3" "$4"; do
        _x=$((_x))
        _b=31
        while [ "$_b" -ge 0 ]; do
            if [ $(((_x >> _b) & 1)) -eq 1 ]; then
                _z0=$((_z0 ^ _v0)) _z1=$((_z1 ^ _v1))
                _z2=$((_z2 ^ _v2)) _z3=$((_z3 ^ _v3))
            fi
            _l=$((_v3 & 1))
            _v3=$(((_v3 >> 1) | ((_v2 & 1) << 31)))
            _v2=$(((_v2 >> 1) | ((_v1 & 1) << 31)))
            _v1=$(((_v1 >> 1) | ((_v0 & 1) << 31)))
            _v0=$((_v0 >> 1))
            [ "$_l" -eq 0 ] || _v0=$((_v0 ^ 0xE1000000))
            _b=$((_b - 1))
        done
    done
    printf '%08x%08x%08x%08x\n' "$_z0" "$_z1" "$_z2" "$_z3"
}

# lapor_xor128 X Y: X ^ Y, 32 hex digits each.
lapor_xor128() {
    # shellcheck disable=SC2046
    set -- $(printf '%s' "$1" | sed 's/\(........\)/0x\1 /g') \
        $(printf '%s' "$2" | sed 's/\(........\)/0x\1 /g')
    printf '%08x%08x%08x%08x\n' $(($1 ^ $5)) $(($2 ^ $6)) $(($3 ^ $7)) \
        $(($4 ^ $8))
}

lapor_hex_to_file() {
    # $1 hex, $2 file: the bytes
    printf '%s' "$1" | sed 's/\(..\)/\\\\x\1/g' | xargs -0 printf '%b' > "$2"
}

# lapor_open_identity KEYHEX AAD VALUE DIR: opens VALUE; the plaintext is
# in DIR/identity.  Returns 1 if the value is malformed, 2 if it does not
# open (wrong key, changed, or copied from another report), 3 if openssl
# failed.
lapor_open_identity() {
    _key=$1 _aad=$2 _val=$3 _d=$4
    case $_val in
        v1.*) _val=${_val#v1.} ;;
        *) return 1 ;;
    esac
    case $_val in
        ''|*[!A-Za-z0-9_-]*) return 1 ;;
    esac
    case $((${#_val} % 4)) in
        2) _val="$_val==" ;;
        3) _val="$_val=" ;;
        1) return 1 ;;
    esac
    printf '%s' "$_val" | tr -- '-_' '+/' | base64 -d > "$_d/sealed" \
        2> /dev/null || return 1
    _n=$(wc -c < "$_d/sealed")
    [ "$_n" -ge 28 ] || return 1
    _clen=$((_n - 28))
    _nonce=$(head -c 12 "$_d/sealed" | od -An -v -tx1 | tr -d ' \n')
    _tag=$(tail -c 16 "$_d/sealed" | od -An -v -tx1 | tr -d ' \n')
    tail -c +13 "$_d/sealed" | head -c "$_clen" > "$_d/ct"

    openssl enc -d -aes-256-ctr -K "$_key" -iv "${_nonce}00000002" \
        -in "$_d/ct" -out "$_d/pt" 2> "$_d/openssl.err" || return 3
    head -c 16 /dev/zero | openssl enc -e -aes-256-ecb -nopad -K "$_key" \
        -out "$_d/h" 2>> "$_d/openssl.err" || return 3
    _h=$(od -An -v -tx1 < "$_d/h" | tr -d ' \n')

    # A' = A, zeros to a multiple of 16 bytes, C
    printf '%s' "$_aad" > "$_d/aad"
    _alen=$(wc -c < "$_d/aad")
    _apad=$(((16 - _alen % 16) % 16))
    head -c "$_apad" /dev/zero >> "$_d/aad"
    cat "$_d/ct" >> "$_d/aad"
    _gmac=$(openssl mac -cipher AES-256-GCM -macopt "hexkey:$_key" \
        -macopt "hexiv:$_nonce" -in "$_d/aad" GMAC 2>> "$_d/openssl.err" \
        | tr 'A-F' 'a-f') || return 3
    [ ${#_gmac} -eq 32 ] || return 3

    # the length blocks: [len(A), len(C)] of GCM and [len(A'), 0] of GMAC,
    # in bits, 64 bits each
    _d_hi=$(((_alen * 8) ^ ((_alen + _apad + _clen) * 8)))
    _d_lo=$((_clen * 8))
    _diff=$(printf '%016x%016x' "$_d_hi" "$_d_lo")
    _want=$(lapor_xor128 "$_gmac" "$(lapor_gf_mul "$_diff" "$_h")")
    [ "$_want" = "$_tag" ] || return 2
    cp "$_d/pt" "$_d/identity"
    return 0
}
