package jwtharness;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * The line loop of docs/PROTOCOL.md (version 1), shared by every backend.
 *
 * <p>One request per line on stdin, one answer per line on stdout, in order,
 * flushed after each. Nothing a library throws ever escapes: it becomes a
 * {@code reject} whose reason comes from the backend's mapping ({@code other},
 * plus one line on stderr, when unmapped). A line that is not a JSON object
 * gets a {@code reject}/{@code malformed} answer with {@code "id": null}.
 * Library-specific code lives in the {@link Backend} implementations.
 */
final class Protocol {

    /** The adapters cut {@code detail} at this many characters (the harness keeps 500). */
    static final int DETAIL_MAX = 300;

    static final Set<String> REASONS = Set.of(
            "malformed", "algorithm", "key", "signature", "expired", "not_yet_valid",
            "issuer", "audience", "missing_claim", "claim_type", "other");

    /**
     * Protocol JSON: Jackson, with its default limits (nesting depth 1000, string
     * length 20 MB) so that a pathological request line fails cleanly. Answers are
     * written ASCII-only, so that a lone surrogate in a claim cannot break UTF-8.
     */
    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonWriteFeature.ESCAPE_NON_ASCII)
            .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET)
            .build();

    private Protocol() {
    }

    /** The library cannot express the policy: answer {@code unsupported}. */
    static final class Unsupported extends Exception {
        private static final long serialVersionUID = 1L;

        Unsupported(String detail) {
            super(detail);
        }
    }

    /** A rejection decided by the adapter glue, not by the library. */
    static final class Reject extends Exception {
        private static final long serialVersionUID = 1L;
        final String reason;

        Reject(String reason, String detail) {
            super(detail);
            this.reason = reason;
        }
    }

    static String truncate(String text) {
        if (text == null) {
            return "";
        }
        return text.length() <= DETAIL_MAX ? text : text.substring(0, DETAIL_MAX - 3) + "...";
    }

    /** Longest library message looked at: some quote the whole (megabyte) token. */
    private static final int MESSAGE_MAX = 4096;

    /** {@code detail} for a throwable: its class's simple name and the start of its message. */
    static String describe(Throwable t) {
        String msg = t.getMessage() == null ? "" : t.getMessage();
        if (msg.length() > MESSAGE_MAX) {
            msg = msg.substring(0, MESSAGE_MAX);
        }
        msg = msg.strip();
        String name = t.getClass().getSimpleName();
        return msg.isEmpty() ? name : name + ": " + msg;
    }

    /** Base64url runs this long are key or token material, never words of a message. */
    private static final java.util.regex.Pattern LONG_BASE64 = java.util.regex.Pattern.compile("[A-Za-z0-9_-]{40,}");

    /**
     * A detail safe to print: libraries such as jose4j quote the token, or a
     * JWK Set, in their messages. Only the first {@value #MESSAGE_MAX}
     * characters are looked at (a megabyte token must not be copied again);
     * in them the token and each of its segments longer than 16 characters
     * become {@code <token>}/{@code <segment>}, the policy's HMAC secrets
     * {@code <secret>}, and any other base64url run of 40 or more characters
     * (a cut-off piece of a long segment) {@code <...>}; the 300-character cut
     * comes after.
     */
    static String redact(String detail, Request request) {
        if (detail == null || request == null) {
            return detail;
        }
        String out = detail.length() > MESSAGE_MAX ? detail.substring(0, MESSAGE_MAX) : detail;
        String token = request.token;
        if (token != null && token.length() > 3 && token.length() <= MESSAGE_MAX * 16) {
            out = out.replace(token, "<token>");
            // Segment by segment with indexOf: String.split would allocate per dot.
            for (int start = 0; start <= token.length(); ) {
                int dot = token.indexOf('.', start);
                int end = dot < 0 ? token.length() : dot;
                if (end - start > 16) {
                    out = out.replace(token.substring(start, end), "<segment>");
                }
                start = end + 1;
            }
        }
        for (JsonNode key : request.policy.keys) {
            JsonNode k = key.get("k");
            if (k != null && k.isTextual() && !k.asText().isEmpty()) {
                out = out.replace(k.asText(), "<secret>");
            }
        }
        return LONG_BASE64.matcher(out).replaceAll("<...>");
    }

    /**
     * The claims object a library returned for a token it accepted, as JSON, for
     * the optional {@code claims} member of an accept: what the application is
     * handed, not a new reading of the payload (the harness compares its sub,
     * iss and aud with the token's). Null when Jackson cannot write it.
     */
    static JsonNode claimsOf(Object claims) {
        try {
            JsonNode node = JSON.valueToTree(claims);
            return node != null && node.isObject() ? node : null;
        } catch (Exception | StackOverflowError e) {
            return null;
        }
    }

    /**
     * Run the loop until stdin closes. Standard output is taken over here and
     * {@code System.out} is pointed at stderr, so that nothing a library might
     * print can end up among the answers.
     */
    static void serve(Backend backend) throws IOException {
        OutputStream out = new FileOutputStream(FileDescriptor.out);
        System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8));
        LineReader in = new LineReader(System.in);
        while (in.next()) {
            if (in.isBlank()) {
                continue;
            }
            ObjectNode answer = handle(backend, in);
            out.write(encode(answer));
            out.write('\n');
            out.flush();
        }
    }

    /**
     * Request lines as bytes, parsed by Jackson straight from the buffer: a
     * 16 MiB token costs one growing byte buffer and the token's String, not
     * the extra char[] copies of a Reader/readLine path (the harness bounds
     * the memory an adapter may grow by per byte of token).
     */
    static final class LineReader {
        private final InputStream in;
        private final byte[] chunk = new byte[1 << 16];
        private int chunkPos;
        private int chunkLen;
        byte[] line = new byte[1 << 12];
        int length;

        LineReader(InputStream in) {
            this.in = in;
        }

        /** Reads the next line (without its \n) into {@link #line}; false at end of input. */
        boolean next() throws IOException {
            length = 0;
            boolean any = false;
            while (true) {
                if (chunkPos == chunkLen) {
                    chunkLen = in.read(chunk);
                    chunkPos = 0;
                    if (chunkLen <= 0) {
                        chunkLen = 0;
                        return any; // a last line without \n still counts
                    }
                }
                any = true;
                int start = chunkPos;
                int end = start;
                while (end < chunkLen && chunk[end] != '\n') {
                    end++;
                }
                append(start, end - start);
                chunkPos = end < chunkLen ? end + 1 : end;
                if (end < chunkLen) {
                    return true;
                }
            }
        }

        private void append(int from, int n) {
            if (length + n > line.length) {
                int size = Math.max(length + n, line.length + (line.length >> 1));
                line = java.util.Arrays.copyOf(line, size);
            }
            System.arraycopy(chunk, from, line, length, n);
            length += n;
        }

        boolean isBlank() {
            for (int i = 0; i < length; i++) {
                if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r') {
                    return false;
                }
            }
            return true;
        }
    }

    private static ObjectNode handle(Backend backend, LineReader in) {
        ObjectNode answer = JSON.createObjectNode();
        JsonNode req;
        try {
            req = JSON.readTree(in.line, 0, in.length);
            if (req == null || !req.isObject()) {
                throw new IllegalArgumentException("request is not a JSON object");
            }
        } catch (Exception | StackOverflowError e) {
            answer.putNull("id");
            answer.put("verdict", "reject");
            answer.put("reason", "malformed");
            answer.put("detail", truncate("bad request line: " + e.getMessage()));
            return answer;
        }
        JsonNode id = req.get("id");
        answer.set("id", id == null ? JSON.nullNode() : id);
        Request request = null;
        try {
            request = new Request(req);
            JsonNode claims = backend.validate(request);
            answer.put("verdict", "accept");
            if (claims != null) {
                answer.set("claims", claims);
            }
        } catch (Unsupported e) {
            answer.put("verdict", "unsupported");
            answer.put("detail", truncate(redact(e.getMessage(), request)));
        } catch (Reject e) {
            answer.put("verdict", "reject");
            answer.put("reason", e.reason);
            answer.put("detail", truncate(redact(e.getMessage(), request)));
        } catch (Throwable t) { // the adapter must never die: StackOverflowError included
            if (t instanceof VirtualMachineError && !(t instanceof StackOverflowError)) {
                throw (VirtualMachineError) t;
            }
            String reason;
            try {
                reason = backend.reasonOf(t);
            } catch (RuntimeException e) {
                reason = "other";
            }
            if (reason == null || !REASONS.contains(reason)) {
                reason = "other";
            }
            String detail = truncate(redact(describe(t), request));
            if (reason.equals("other")) {
                System.err.println("reason 'other' for " + id + ": " + detail);
            }
            answer.put("verdict", "reject");
            answer.put("reason", reason);
            answer.put("detail", detail);
        }
        return answer;
    }

    private static byte[] encode(ObjectNode answer) {
        try {
            return JSON.writeValueAsBytes(answer);
        } catch (Exception | StackOverflowError e) {
            answer.remove("claims");
            try {
                return JSON.writeValueAsBytes(answer);
            } catch (Exception | StackOverflowError e2) {
                return "{\"id\":null,\"verdict\":\"reject\",\"reason\":\"other\",\"detail\":\"unencodable response\"}"
                        .getBytes(StandardCharsets.US_ASCII);
            }
        }
    }
}
