#!/usr/bin/env sh
# Throwaway secrets for trying docker-compose.yml on one machine: a private CA, every TLS
# certificate the compose file names (signed by it), and random passwords. NOT for production:
# there the carrier's PKI issues the certificates and its vault holds the passwords.
#
#   sh deploy/make-dev-certs.sh [folder]        (default ./secrets; LES_OIDC_HOST as in compose)
#
# Needs only openssl. Files are 0600; give each to the uid that reads it (docs/operations.md).
set -eu
out="${1:-./secrets}"
sso="${LES_OIDC_HOST:-sso.les.example}"
umask 077
mkdir -p "$out/tls"
tls="$out/tls"

[ -f "$tls/ca.key" ] || openssl req -x509 -newkey rsa:3072 -sha256 -days 365 -nodes -subj "/CN=LES dev CA" \
  -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null

issue() {  # name, extendedKeyUsage, subjectAltName
  [ -f "$tls/$1.pem" ] && return 0
  openssl req -newkey rsa:2048 -sha256 -nodes -subj "/CN=$1" -keyout "$tls/$1.key" -out "$tls/$1.csr" 2>/dev/null
  printf 'extendedKeyUsage=%s\nsubjectAltName=%s\n' "$2" "$3" > "$tls/$1.ext"
  openssl x509 -req -in "$tls/$1.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial -days 365 \
    -sha256 -extfile "$tls/$1.ext" -out "$tls/$1.pem" 2>/dev/null
  rm -f "$tls/$1.csr" "$tls/$1.ext"
}

issue temporal serverAuth,clientAuth "DNS:temporal,DNS:localhost,IP:127.0.0.1"
issue temporal-admin clientAuth "DNS:temporal-admin"
issue temporal-ui clientAuth "DNS:temporal-ui"
issue les-worker clientAuth "DNS:les-worker"
issue x1-client clientAuth "DNS:les-worker"
issue ui serverAuth "DNS:localhost,IP:127.0.0.1"
issue codec serverAuth "DNS:localhost,DNS:codec-server,DNS:codec-server-cleared,IP:127.0.0.1"
issue sso serverAuth "DNS:$sso"
issue mediation serverAuth "DNS:mediation-simulator"

for secret in temporal_db_password records_db_password keycloak_admin_password oidc_ui_client_secret; do
  [ -f "$out/$secret" ] || openssl rand -hex 32 > "$out/$secret"
done
echo "secrets in $out (CA $tls/ca.pem); the keyrings and seal keys: docs/operations.md"
