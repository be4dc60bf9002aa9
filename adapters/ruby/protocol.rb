# frozen_string_literal: true

# Shared plumbing for the Ruby adapters (docs/PROTOCOL.md, version 1), the
# counterpart of adapters/python/_protocol.py: the line loop and a few policy
# helpers.  Everything library-specific lives in the adapter scripts, which
# supply validate(request) and reason_of(exception).
#
# The loop never lets an exception escape: a failure inside an adapter becomes
# a `reject` (reason from the adapter's mapping), a request line that is not
# JSON a `reject`/`malformed` with "id": null, and an answer whose claims cannot
# be serialised (an infinite exp) loses its claims.

require 'json'

module Protocol
  DETAIL_MAX = 300

  REASONS = %w[malformed algorithm key signature expired not_yet_valid issuer
               audience missing_claim claim_type other].freeze

  class Unsupported < StandardError; end

  # A rejection decided by the adapter glue, not by the library.
  class Reject < StandardError
    attr_reader :reason

    def initialize(reason, detail)
      super(detail)
      @reason = reason
    end
  end

  module_function

  def truncate(text)
    text = text.to_s.gsub(/\s+/, ' ').strip
    text = text.encode('UTF-8', invalid: :replace, undef: :replace, replace: '?')
    text.length <= DETAIL_MAX ? text : "#{text[0, DETAIL_MAX - 3]}..."
  end

  def describe(exc)
    msg = exc.message.to_s.strip
    truncate(msg.empty? ? exc.class.name : "#{exc.class.name}: #{msg}")
  end

  # The request's policy, with every member type-checked.
  class Policy
    attr_reader :algorithms, :jwks, :issuer, :audience, :leeway, :required_claims, :typ

    def initialize(raw)
      raw = {} unless raw.is_a?(Hash)
      algs = raw['algorithms']
      @algorithms = algs.is_a?(Array) ? algs.select { |a| a.is_a?(String) } : []
      jwks = raw['jwks']
      keys = jwks.is_a?(Hash) ? jwks['keys'] : nil
      @jwks = { 'keys' => keys.is_a?(Array) ? keys.select { |k| k.is_a?(Hash) } : [] }
      @issuer = raw['issuer'].is_a?(String) ? raw['issuer'] : nil
      aud = raw['audience']
      aud = [aud] if aud.is_a?(String)
      @audience = aud.is_a?(Array) ? aud.select { |a| a.is_a?(String) } : nil
      @audience = nil if @audience && @audience.empty?
      leeway = raw['leeway']
      @leeway = leeway.is_a?(Integer) && leeway >= 0 && leeway < 10**12 ? leeway : 0
      req = raw['required_claims']
      @required_claims = req.is_a?(Array) ? req.select { |c| c.is_a?(String) } : []
      @typ = raw['typ'].is_a?(String) ? raw['typ'] : nil
    end

    # required_claims plus iss/aud when an expected value is set (adapters/README.md:
    # "Expected iss/aud imply presence").
    def required_with_expectations
      out = required_claims.dup
      out << 'iss' if issuer && !out.include?('iss')
      out << 'aud' if audience && !out.include?('aud')
      out
    end
  end

  def check_supported(policy, supported, library)
    missing = policy.algorithms.reject { |a| supported.include?(a) }
    return if missing.empty?

    raise Unsupported, "algorithm(s) not implemented by #{library}: #{missing.join(', ')}"
  end

  def norm_typ(value)
    v = value.downcase
    v.start_with?('application/') ? v[12..] : v
  end

  # Explicit typ header check for libraries that have none (RFC 7515 §4.1.9
  # comparison: case-insensitive, application/ prefix optional).
  def check_typ(policy, header)
    return unless policy.typ

    typ = header.is_a?(Hash) ? header['typ'] : nil
    return if typ.is_a?(String) && norm_typ(typ) == norm_typ(policy.typ)

    raise Reject.new('other', "typ header #{typ.inspect} is not #{policy.typ.inspect}")
  end

  def check_required_present(claims, names)
    names.each do |name|
      raise Reject.new('missing_claim', "missing required claim #{name.inspect}") unless claims.is_a?(Hash) && claims.key?(name)
    end
  end

  def encode(resp)
    JSON.generate(resp)
  rescue StandardError
    begin
      JSON.generate(resp.reject { |k, _| k == 'claims' })
    rescue StandardError
      '{"id":null,"verdict":"reject","reason":"other","detail":"unencodable response"}'
    end
  end

  def reason_for(exc, reason_of)
    return exc.reason if exc.is_a?(Reject)
    return 'malformed' if exc.is_a?(SystemStackError) || exc.is_a?(JSON::NestingError)

    r = reason_of.call(exc)
    REASONS.include?(r) ? r : 'other'
  rescue StandardError
    'other'
  end

  # Runs the docs/PROTOCOL.md loop.  validate(request) -> Hash with 'verdict'
  # (and 'claims'); reason_of(exception) -> one of REASONS.
  def serve(validate, reason_of)
    $stdin.binmode
    $stdout.binmode
    $stdout.sync = true
    $stdin.each_line do |raw|
      line = raw.dup.force_encoding('UTF-8').scrub('?').strip
      next if line.empty?

      rid = nil
      resp = nil
      begin
        req = JSON.parse(line, max_nesting: false)
        raise ArgumentError, 'request is not a JSON object' unless req.is_a?(Hash)

        rid = req['id']
      rescue StandardError => e
        resp = { 'verdict' => 'reject', 'reason' => 'malformed', 'detail' => truncate("bad request line: #{e.message}") }
      end
      unless resp
        begin
          resp = validate.call(req)
        rescue Unsupported => e
          resp = { 'verdict' => 'unsupported', 'detail' => truncate(e.message) }
        rescue Reject => e
          resp = { 'verdict' => 'reject', 'reason' => e.reason, 'detail' => truncate(e.message) }
        rescue Exception => e # rubocop:disable Lint/RescueException - the adapter must never die
          raise if e.is_a?(Interrupt) || e.is_a?(SystemExit)

          reason = reason_for(e, reason_of)
          warn "reason 'other' for #{rid.inspect}: #{describe(e)}" if reason == 'other'
          resp = { 'verdict' => 'reject', 'reason' => reason, 'detail' => describe(e) }
        end
      end
      $stdout.write(encode({ 'id' => rid }.merge(resp)) + "\n")
      $stdout.flush
    end
  end
end
