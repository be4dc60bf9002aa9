# frozen_string_literal: true

# docs/PROTOCOL.md (v1) adapter for json-jwt 1.14.0 (Debian's ruby-json-jwt), see README.md.
#
#   ruby adapters/ruby/json_jwt_adapter.rb
#
# JSON::JWT.decode(token, JSON::JWK::Set.new(jwks), algorithms) is all json-jwt
# offers for a JWS: the JWK Set is the library's own kid lookup
# (JSON::JOSE#with_jwk_support, lib/json/jose.rb), the allowlist goes to
# JSON::JWS#verify! (as Symbols, which it compares with alg.to_sym).
#
# json-jwt validates no claim (JSON::JWT is a HashWithIndifferentAccess of the
# payload; lib/json/jwt.rb and jws.rb read no exp, nbf, iat, iss, aud, sub or
# typ), and its README's "Decode & Verify" example stops at JSON::JWT.decode.
# Nothing in its documentation tells the caller which checks to add, so this
# adapter adds none: the backend file declares iss, aud, sub, nbf, iat and typ
# [[unchecked]] and the missing exp checks are recorded as deviations.
# With no clock read at all, clock = "request".

$LOAD_PATH.unshift(__dir__)
require 'protocol'
require 'json/jwt'

LIBRARY = 'json-jwt 1.14.0'

# JSON::JWS (lib/json/jws.rb hmac?/rsa?/rsa_pss?/ecdsa?) signs and verifies these;
# JSON::JWK#to_key (lib/json/jwk.rb) knows RSA, EC and oct keys only (no OKP/EdDSA).
SUPPORTED = %w[HS256 HS384 HS512 RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512].freeze

def reason_of(exc)
  case exc
  when JSON::JWT::InvalidFormat then 'malformed'
  when JSON::JWK::Set::KidNotFound, JSON::JWK::UnknownAlgorithm then 'key'
  when JSON::JWT::UnexpectedAlgorithm
    # valid? turns a TypeError (the kid's key does not fit the alg: an
    # OpenSSL::PKey given to OpenSSL::HMAC) into UnexpectedAlgorithm(e.message).
    exc.message =~ /Unexpected alg header|Unknown Signature Algorithm|\AJSON::JWT::UnexpectedAlgorithm\z|\AJSON::JWS::UnexpectedAlgorithm\z/ ? 'algorithm' : 'key'
  when JSON::JWT::VerificationFailed then 'signature'
  when OpenSSL::PKey::PKeyError, OpenSSL::ASN1::ASN1Error, OpenSSL::BNError then 'signature'
  when JSON::JWT::Exception then 'other'
  # A header or payload that is valid JSON but not an object (Array#with_indifferent_access).
  when NoMethodError, TypeError, JSON::ParserError, ArgumentError, EncodingError then 'malformed'
  else 'other'
  end
end

def validate(req)
  policy = Protocol::Policy.new(req['policy'])
  Protocol.check_supported(policy, SUPPORTED, LIBRARY)
  token = req['token']
  raise Protocol::Reject.new('malformed', 'token is not a string') unless token.is_a?(String)

  keys = JSON::JWK::Set.new(policy.jwks)
  jwt = JSON::JWT.decode(token, keys, policy.algorithms.map(&:to_sym))
  claims = jwt.to_hash
  { 'verdict' => 'accept', 'claims' => claims }
end

Protocol.serve(method(:validate), method(:reason_of))
