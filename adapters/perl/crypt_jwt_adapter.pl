#!/usr/bin/perl
# docs/PROTOCOL.md (v1) adapter for Crypt::JWT (Debian's libcrypt-jwt-perl), see README.md.
#
#   perl adapters/perl/crypt_jwt_adapter.pl
#
# Crypt::JWT's decode_jwt is configured as its POD recommends:
#   - kid_keys => the policy's whole JWK Set: the library's own kid lookup
#     (Crypt/JWT.pm _kid_lookup) picks the key and checks its kty against alg;
#   - accepted_alg => [allowlist] (the ARRAY ref form);
#   - verify_exp => 1 when the policy requires exp (required and checked; the
#     default, undef, checks it when present), leeway;
#   - verify_iss => the expected issuer (Scalar: exact string equality, since 0.029);
#   - verify_aud => CODE ref: the POD's way to check anything but one scalar value,
#     here "a string, or an array of strings, holding an expected audience";
#   - verify_sub / verify_jti / verify_nbf / verify_iat when the policy requires those
#     claims (CODE ref returning true: presence only; 1 for nbf/iat);
#   - decode_payload => 1 (a payload that is not JSON is an error), decode_header => 1.
# Crypt::JWT reads the system clock (`time` in _verify_claims): clock = "system".
# Crypt::JWT 0.034 has no typ option: the typ header is checked here on the decoded
# header (RFC 7515 §4.1.9 comparison), as adapters/README.md describes.
use strict;
use warnings;

use B ();
use Crypt::JWT qw(decode_jwt);
use JSON::XS ();

binmode STDIN;
binmode STDOUT;
binmode STDERR, ':encoding(UTF-8)';
$| = 1;

my $DETAIL_MAX = 300;
my $JSON_IN  = JSON::XS->new->utf8->allow_nonref(0)->max_depth(10000);
my $JSON_OUT = JSON::XS->new->utf8(0)->ascii->canonical->allow_nonref;

# What Crypt::JWT 0.034 implements for JWS (_verify_jws).
my %SUPPORTED = map { $_ => 1 } qw(HS256 HS384 HS512 RS256 RS384 RS512 PS256 PS384 PS512
  ES256 ES256K ES384 ES512 EdDSA);

sub truncate_detail {
    my ($s) = @_;
    $s = '' unless defined $s;
    $s =~ s/\s+/ /g;
    $s =~ s/^ | $//g;
    return length($s) > $DETAIL_MAX ? substr($s, 0, $DETAIL_MAX - 3) . '...' : $s;
}

# Crypt::JWT has one error kind: croak with a message ("JWS: ...", "JWT: ...").
sub reason_of {
    my ($msg) = @_;
    return 'algorithm'     if $msg =~ /alg '.*' (?:not in|does not match|not) accepted_alg|alg 'none' (?:not allowed|expects no signature)/s;
    # decode_jwt takes a 5-segment token for a JWE (Crypt/JWT.pm lines 764-766): not a JWS.
    return 'malformed'     if $msg =~ /^JWE: /;
    return 'malformed'     if $msg =~ /missing header 'alg'|invalid token format|invalid (?:header|payload|sig) part|payload not a valid JSON|missing token|cannot check verify_|unsupported JWS\/JWT JSON/;
    return 'key'           if $msg =~ /kid_keys lookup failed|key type '.*' cannot be used|invalid (?:RSA|ECC|Ed25519|oct) key|undefined (?:RSA|ECC|Ed25519|oct) key|missing key|kid_keys must be/s;
    return 'signature'     if $msg =~ /JWS: invalid signature/;
    return 'missing_claim' if $msg =~ /claim required but missing/;
    return 'expired'       if $msg =~ /exp claim check failed/;
    return 'not_yet_valid' if $msg =~ /nbf claim check failed/;
    return 'issuer'        if $msg =~ /iss claim .*check failed/;
    return 'audience'      if $msg =~ /aud claim .*check failed/;
    return 'claim_type'    if $msg =~ /(?:sub|jti|iat) claim .*check failed/;
    return 'malformed'     if $msg =~ /malformed JSON|JSON text|unexpected end|garbage after|, or \]|, or \}|character/i;
    return 'other';
}

sub is_json_string {
    my ($v) = @_;
    return 0 if !defined $v || ref $v;
    # JSON::XS gives strings a PV without IOK/NOK (B flags), numbers an IV/NV.
    my $flags = B::svref_2object(\$v)->FLAGS;
    return ($flags & B::SVp_POK()) && !($flags & (B::SVp_IOK() | B::SVp_NOK())) ? 1 : 0;
}

sub norm_typ {
    my ($t) = @_;
    $t = lc $t;
    $t =~ s/^application\///;
    return $t;
}

sub validate {
    my ($req) = @_;
    my $pol = ref $req->{policy} eq 'HASH' ? $req->{policy} : {};
    my @algs = grep { defined && !ref } (ref $pol->{algorithms} eq 'ARRAY' ? @{ $pol->{algorithms} } : ());
    my @missing = grep { !$SUPPORTED{$_} } @algs;
    return { verdict => 'unsupported', detail => 'algorithm(s) not implemented by Crypt::JWT 0.034: ' . join(', ', @missing) }
      if @missing;
    my $jwks = ref $pol->{jwks} eq 'HASH' ? $pol->{jwks} : { keys => [] };
    my $issuer = defined $pol->{issuer} && !ref $pol->{issuer} ? $pol->{issuer} : undef;
    my @aud = ref $pol->{audience} eq 'ARRAY' ? grep { defined && !ref } @{ $pol->{audience} } : ();
    my $leeway = defined $pol->{leeway} && !ref $pol->{leeway} && $pol->{leeway} =~ /^\d+$/ ? $pol->{leeway} + 0 : 0;
    my @required = ref $pol->{required_claims} eq 'ARRAY' ? grep { defined && !ref } @{ $pol->{required_claims} } : ();
    my $typ = defined $pol->{typ} && !ref $pol->{typ} ? $pol->{typ} : undef;
    my %req = map { $_ => 1 } @required;

    my $token = $req->{token};
    return { verdict => 'reject', reason => 'malformed', detail => 'token is not a string' } if !defined $token || ref $token;

    my %args = (
        token          => $token,
        kid_keys       => $jwks,
        accepted_alg   => [@algs],
        leeway         => $leeway,
        decode_payload => 1,
        decode_header  => 1,
    );
    # POD: verify_exp "1 - require valid 'exp' claim"; undef (default) checks it when present.
    $args{verify_exp} = $req{exp} ? 1 : undef;
    $args{verify_nbf} = 1 if $req{nbf};
    $args{verify_iat} = 1 if $req{iat};
    $args{verify_iss} = $issuer if defined $issuer;
    if (@aud) {
        my %want = map { $_ => 1 } @aud;
        $args{verify_aud} = sub {
            my ($v) = @_;
            return is_json_string($v) && $want{$v} ? 1 : 0 unless ref $v;
            return 0 unless ref $v eq 'ARRAY';
            return 0 if grep { !is_json_string($_) } @$v;
            return (grep { $want{$_} } @$v) ? 1 : 0;
        };
    }
    # Presence only (the POD: "If verify_sub is specified and claim sub is completely
    # missing it is a failure"); the value is not judged.
    for my $c (qw(iss sub aud jti)) {
        $args{"verify_$c"} = sub { 1 } if $req{$c} && !exists $args{"verify_$c"};
    }

    my ($header, $claims) = decode_jwt(%args);

    # Claims Crypt::JWT has no option for (anything but exp nbf iat iss sub aud jti).
    if (ref $claims eq 'HASH') {
        for my $c (@required) {
            return { verdict => 'reject', reason => 'missing_claim', detail => "missing required claim \"$c\"" }
              unless exists $claims->{$c};
        }
    }
    if (defined $typ) {
        my $t = ref $header eq 'HASH' ? $header->{typ} : undef;
        if (!is_json_string($t) || norm_typ($t) ne norm_typ($typ)) {
            return { verdict => 'reject', reason => 'other',
                     detail => truncate_detail('typ header ' . (defined $t && !ref $t ? "\"$t\"" : '(none)') . " is not \"$typ\"") };
        }
    }
    return { verdict => 'accept', claims => $claims };
}

while (defined(my $line = <STDIN>)) {
    $line =~ s/^\s+|\s+$//g;
    next if $line eq '';
    my ($req, $resp, $id);
    if (!eval { $req = $JSON_IN->decode($line); 1 } || ref $req ne 'HASH') {
        my $err = $@ || 'request is not a JSON object';
        $err =~ s/ at \S+ line \d+\.?\s*$//;
        $resp = { verdict => 'reject', reason => 'malformed', detail => truncate_detail("bad request line: $err") };
    }
    else {
        $id = $req->{id};
        $resp = eval { validate($req) };
        if (!$resp) {
            my $err = $@ || 'unknown error';
            $err =~ s/ at \S+ line \d+\.?\s*$//s;
            my $reason = reason_of($err);
            print STDERR 'reason other for ' . (defined $id ? $id : 'null') . ': ' . truncate_detail($err) . "\n" if $reason eq 'other';
            $resp = { verdict => 'reject', reason => $reason, detail => truncate_detail($err) };
        }
        elsif (exists $resp->{detail}) {
            $resp->{detail} = truncate_detail($resp->{detail});
        }
    }
    my $out = eval { $JSON_OUT->encode({ id => $id, %$resp }) };
    # JSON::XS writes an infinite or NaN number (exp 1e400) as inf/nan, which is not JSON, and
    # the largest double with 15 digits (1.79769313486232e+308), which is beyond a double and
    # reads back as inf: either way the claims cannot be reported.
    if (defined $out && !eval { nonfinite_free($JSON_IN->decode($out)) }) {
        undef $out;
    }
    if (!defined $out) {
        delete $resp->{claims};
        $out = eval { $JSON_OUT->encode({ id => $id, %$resp }) }
          // '{"id":null,"verdict":"reject","reason":"other","detail":"unencodable response"}';
    }
    print STDOUT $out, "\n";
}
exit 0;

# Whether a decoded JSON value holds only finite numbers (dies otherwise).
sub nonfinite_free {
    my ($v) = @_;
    if (ref $v eq 'HASH') { nonfinite_free($_) for values %$v; }
    elsif (ref $v eq 'ARRAY') { nonfinite_free($_) for @$v; }
    elsif (defined $v && !ref $v && B::svref_2object(\$v)->FLAGS & (B::SVf_NOK | B::SVf_IOK)) {
        die "not finite\n" if $v != $v || $v == 9**9**9 || $v == -9**9**9;
    }
    return 1;
}
