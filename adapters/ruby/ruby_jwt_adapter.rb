# frozen_string_literal: true

# docs/PROTOCOL.md (v1) adapter for ruby-jwt 2.5.0 (Debian's ruby-jwt), see README.md.
#
#   ruby adapters/ruby/ruby_jwt_adapter.rb
#
# JWT.decode(token, nil, true, options) as the gem's README documents it:
#   - algorithms: the allowlist;
#   - jwks: the policy's whole JWK Set as a Hash: the gem's own kid lookup
#     (JWT::JWK::KeyFinder#key_for, lib/jwt/jwk/key_finder.rb) picks the key;
#   - iss: + verify_iss: true, aud: + verify_aud: true when the policy sets them;
#   - required_claims: the policy's required claims (+ iss/aud when expected);
#   - verify_expiration / verify_not_before (the defaults, true), verify_iat: true;
#   - leeway:.
# ruby-jwt reads the system clock (Time.now in lib/jwt/verify.rb): clock = "system".
# ruby-jwt 2.5.0 has no typ option: the typ header is checked here on the decoded
# header (RFC 7515 §4.1.9 comparison), as adapters/README.md describes.

$LOAD_PATH.unshift(__dir__)
require 'protocol'
require 'jwt'

LIBRARY = "ruby-jwt #{JWT::VERSION::STRING}"

# JWT::Algos (lib/jwt/algos/*.rb) implements HS*, RS*, PS*, ES256/384/512 and ES256K;
# EdDSA needs the rbnacl gem, and JWT::JWK (lib/jwt/jwk.rb) imports only RSA, EC and
# oct JWKs, so an OKP key of a JWK Set cannot be used at all.
SUPPORTED = %w[HS256 HS384 HS512 RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512].freeze

def reason_of(exc)
  case exc
  when JWT::VerificationError then 'signature'
  when JWT::ExpiredSignature then 'expired'
  when JWT::ImmatureSignature then 'not_yet_valid'
  when JWT::InvalidIssuerError then 'issuer'
  when JWT::InvalidAudError then 'audience'
  when JWT::MissingRequiredClaim then 'missing_claim'
  when JWT::InvalidIatError, JWT::InvalidSubError, JWT::InvalidJtiError then 'claim_type'
  when JWT::JWKError then 'key'
  when JWT::IncorrectAlgorithm
    # Ecdsa#verify: "payload algorithm is ES384 but ES256 verification key was provided"
    exc.message.include?('key was provided') ? 'key' : 'algorithm'
  when JWT::DecodeError
    # A plain DecodeError carries the rest: tell them apart by message.
    case exc.message
    when /kid|key|jwks/i then 'key'
    else 'malformed'
    end
  when JSON::ParserError, EncodingError, ArgumentError then 'malformed'
  # A claim of the wrong type reaching Verify (true.to_i, [].to_i): NoMethodError.
  when NoMethodError, TypeError then 'claim_type'
  else 'other'
  end
end

def validate(req)
  policy = Protocol::Policy.new(req['policy'])
  Protocol.check_supported(policy, SUPPORTED, LIBRARY)
  token = req['token']
  raise Protocol::Reject.new('malformed', 'token is not a string') unless token.is_a?(String)

  options = {
    algorithms: policy.algorithms,
    jwks: policy.jwks,
    verify_expiration: true,
    verify_not_before: true,
    verify_iat: true,
    leeway: policy.leeway,
    required_claims: policy.required_with_expectations
  }
  options.merge!(iss: policy.issuer, verify_iss: true) if policy.issuer
  options.merge!(aud: policy.audience, verify_aud: true) if policy.audience
  payload, header = JWT.decode(token, nil, true, options)
  Protocol.check_typ(policy, header)
  { 'verdict' => 'accept', 'claims' => payload }
end

Protocol.serve(method(:validate), method(:reason_of))
