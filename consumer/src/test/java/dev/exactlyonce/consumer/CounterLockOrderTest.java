package dev.exactlyonce.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactlyonce.testkit.Infrastructure;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/**
 * Three consumer replicas count their batches at the same time (count_stored_batch, the GetStats
 * counters): the counter rows they share are locked in one fixed order, so transactions that store
 * the same order ids, offered in opposite orders, queue behind each other and never deadlock; and
 * the counts come out exact. (Same-key orders normally share a partition and so a consumer; across
 * consumers this happens in at-least-once during a rebalance, when an old owner still writes, or
 * when retries of one order were produced with another key.)
 */
class CounterLockOrderTest {

    private static final int REPLICAS = 3;
    private static final int TRANSACTIONS = 30;

    @Test
    void concurrentBatchesOverTheSameOrderIdsNeitherDeadlockNorMiscount() throws Exception {
        Infrastructure infra = Pipeline.infra();
        Flyway.configure()
                .dataSource(infra.jdbcUrl(), infra.jdbcUser(), infra.jdbcPassword())
                .locations("classpath:db/migration")
                .load()
                .migrate();
        String prefix = Pipeline.unique("lock-order");
        List<String> orderIds = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            orderIds.add(prefix + "-" + i);
        }

        ExecutorService replicas = Executors.newFixedThreadPool(REPLICAS);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int r = 0; r < REPLICAS; r++) {
                int replica = r;
                done.add(
                        replicas.submit(
                                () -> {
                                    storeBatches(infra, orderIds, replica);
                                    return null;
                                }));
            }
            for (Future<?> replica : done) {
                replica.get(); // a deadlock would surface here as SQLState 40P01
            }
        } finally {
            replicas.shutdownNow();
        }

        assertThat(Pipeline.stored(prefix))
                .isEqualTo(new Pipeline.Stored(REPLICAS * TRANSACTIONS * 40L, 40));
        StatsCountersTest.assertCountersEqualTheTables();
    }

    /**
     * Each transaction: every order once, in an order of its own, then the counters by message id,
     * as BatchWriter does.
     */
    private static void storeBatches(Infrastructure infra, List<String> orderIds, int replica)
            throws SQLException {
        Random random = new Random(replica);
        try (Connection c =
                        DriverManager.getConnection(
                                infra.jdbcUrl(), infra.jdbcUser(), infra.jdbcPassword());
                PreparedStatement insert =
                        c.prepareStatement(
                                "INSERT INTO orders (order_id, message_id, customer_id, items, total_amount, kafka_partition, "
                                        + "kafka_offset, produced_at, processing_mode, consumer_id) "
                                        + "VALUES (?, ?, 'cust-001', '[]', 1, ?, 0, ?, 'AT_LEAST_ONCE', ?)");
                PreparedStatement count =
                        c.prepareStatement("SELECT count_stored_batch(?::varchar[], 0)")) {
            c.setAutoCommit(false);
            for (int t = 0; t < TRANSACTIONS; t++) {
                List<String> offered = new ArrayList<>(orderIds);
                Collections.shuffle(offered, random);
                if (replica % 2 == 1) {
                    Collections.reverse(offered);
                }
                for (String orderId : offered) {
                    insert.setString(1, orderId);
                    insert.setString(2, orderId + "-m");
                    insert.setInt(3, replica);
                    insert.setTimestamp(4, java.sql.Timestamp.from(Instant.now()));
                    insert.setString(5, "replica-" + replica);
                    insert.addBatch();
                }
                insert.executeBatch();
                count.setArray(
                        1,
                        c.createArrayOf(
                                "varchar", offered.stream().map(id -> id + "-m").toArray()));
                count.execute();
                c.commit();
            }
        }
    }
}
