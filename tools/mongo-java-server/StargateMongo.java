import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The development store: mongo-java-server on 127.0.0.1, announcing MongoDB 4.4 (wire version 9,
 * the oldest the Node.js driver 7 accepts).
 *
 *   java -cp 'lib/*:.' StargateMongo PORT FILE   H2 file backend (survives a restart; saved about once a second)
 *   java -cp 'lib/*:.' StargateMongo PORT -      memory backend (nothing survives a restart)
 *
 * SIGTERM closes every client connection at once (an outage starts when `down` is asked for, as
 * with a real server), then closes the backend, which saves the H2 file completely.
 */
public final class StargateMongo {
    private enum Mongo44 implements MongoVersion {
        INSTANCE;

        @Override
        public List<Integer> getVersionArray() {
            return List.of(4, 4, 0);
        }

        @Override
        public int getWireVersion() {
            return 9;
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: StargateMongo PORT FILE|-");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        MongoBackend backend = "-".equals(args[1]) ? new MemoryBackend() : new H2Backend(args[1]);
        backend.version(Mongo44.INSTANCE);
        MongoServer server = new MongoServer(backend);
        server.bind("127.0.0.1", port);
        System.out.println("stargate-mongo listening on 127.0.0.1:" + port + " (" + backend + ")");
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.shutdownNow();
            stopped.countDown();
        }));
        stopped.await();
    }
}
