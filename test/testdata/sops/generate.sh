#!/usr/bin/env bash
# Regenerates the encrypted fixtures with the real sops binary (see README.md).
# Needs: SOPS (path to sops v3.10.2), GNUPGHOME holding the key in pgp.asc.
set -euo pipefail
cd "$(dirname "$0")"
SOPS=${SOPS:-sops}
AGE=$(sed -n 's/^# public key: //p' age.agekey)
FP=$(cat pgp.fingerprint)
enc() { "$SOPS" encrypt "$@"; }
enc --age "$AGE" --pgp "$FP" plain/secret.yaml > secret.enc.yaml
enc --age "$AGE" plain/config.json > config.enc.json
enc --age "$AGE" plain/app.env > app.enc.env
enc --age "$AGE" plain/app.ini > app.enc.ini
enc --age "$AGE" --input-type binary plain/blob.bin > blob.enc.bin
enc --pgp "$FP" --encrypted-regex '^(data|stringData)$' plain/regex-secret.yaml > regex-secret.enc.yaml
enc --age "$AGE" --encrypted-regex '^(data|stringData)$' plain/age-secret.yaml > age-secret.enc.yaml
# The same Secret as JSON (what a built object looks like to the decryptor).
enc --age "$AGE" --encrypted-regex '^(data|stringData)$' --input-type yaml --output-type json plain/regex-secret.yaml > regex-secret.enc.json
# Tampered: an unencrypted field changed after encryption, so the MAC no longer matches.
sed 's/name: regex-secret/name: regex-secret-tampered/' regex-secret.enc.yaml > tampered-mac.enc.yaml
# The cleartext as sops prints it, to compare with.
for f in secret.enc.yaml config.enc.json app.enc.env app.enc.ini regex-secret.enc.yaml; do
  SOPS_AGE_KEY_FILE=age.agekey "$SOPS" decrypt "$f" > "expected/${f/.enc/}"
done
SOPS_AGE_KEY_FILE=age.agekey "$SOPS" decrypt --input-type binary --output-type binary blob.enc.bin > expected/blob.bin
