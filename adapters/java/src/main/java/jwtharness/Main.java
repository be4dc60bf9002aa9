package jwtharness;

import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code java -jar jwt-harness-adapters.jar BACKEND}: one JVM per backend
 * process, the library chosen by the first argument (see adapters/java/README.md).
 */
public final class Main {

    private static final Map<String, Supplier<Backend>> BACKENDS = Map.of(
            "nimbus", NimbusBackend::new,
            "jjwt", JjwtBackend::new,
            "java-jwt", JavaJwtBackend::new,
            "jose4j", Jose4jBackend::new);

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        Supplier<Backend> backend = args.length == 1 ? BACKENDS.get(args[0]) : null;
        if (backend == null) {
            System.err.println("usage: java -jar jwt-harness-adapters.jar (nimbus|jjwt|java-jwt|jose4j)");
            System.exit(2);
        }
        Protocol.serve(backend.get());
        System.exit(0);
    }
}
