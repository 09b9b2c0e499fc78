package io.easspark.loader.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.easspark.engine.eas.ReparamMode;
import io.easspark.engine.eas.SkipPlan;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class ModelCacheTest {

    /** Stands in for a loaded model: counts how often it was made and closed. */
    static final class FakeModel implements AutoCloseable {
        final ModelCache.Key key;
        volatile boolean closed;

        FakeModel(ModelCache.Key key) {
            this.key = key;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    static ModelCache.Key key(String dtype) {
        return new ModelCache.Key("file:/models/demo", "cpu", dtype, SkipPlan.parse("19,21-31", 32), ReparamMode.LOWRANK);
    }

    @Test
    void everySpellingOfOnePlanIsOneLoad() {
        ModelCache cache = new ModelCache(ModelCache.Policy.HOLD_FOR_JVM);
        List<ModelCache.Lease<FakeModel>> leases = new ArrayList<>();
        // as users write the published plan: compact, with blanks, as a JSON list, and layer by layer
        for (String spelling : List.of("19,21-31", "19, 21-31", "[19,21,22,23,24,25,26,27,28,29,30,31]", "19,21-25,26-31")) {
            ModelCache.Key k = new ModelCache.Key("file:/models/demo", "cpu", "fp32", SkipPlan.parse(spelling, 32), ReparamMode.LOWRANK);
            leases.add(cache.acquire(k, FakeModel::new));
        }
        assertThat(cache.loads()).isEqualTo(1);
        assertThat(cache.size()).isEqualTo(1);
        leases.forEach(ModelCache.Lease::close);
    }

    @Test
    @Timeout(20)
    void eightThreadsAskingForOneModelLoadItOnce() throws Exception {
        ModelCache cache = new ModelCache(ModelCache.Policy.HOLD_FOR_JVM);
        AtomicInteger loaderCalls = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<FakeModel>> got = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            got.add(pool.submit(() -> {
                start.await();
                try (ModelCache.Lease<FakeModel> lease = cache.acquire(key("fp32"), k -> {
                    loaderCalls.incrementAndGet();
                    Thread.sleep(200); // a slow load, so the other threads arrive while it runs
                    return new FakeModel(k);
                })) {
                    return lease.get();
                }
            }));
        }
        start.countDown();
        FakeModel first = got.get(0).get();
        for (Future<FakeModel> f : got) {
            assertThat(f.get()).isSameAs(first);
        }
        pool.shutdown();
        assertThat(pool.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
        assertThat(loaderCalls.get()).isEqualTo(1);
        assertThat(cache.loads()).isEqualTo(1);
        assertThat(first.closed).as("held for the JVM's life").isFalse();

        try (ModelCache.Lease<FakeModel> bf16 = cache.acquire(key("bf16"), FakeModel::new)) {
            assertThat(bf16.get()).isNotSameAs(first);
            assertThat(bf16.get().key.dtype()).isEqualTo("bf16");
        }
        assertThat(cache.size()).isEqualTo(2);
        assertThat(cache.loads()).isEqualTo(2);
        cache.clear();
        assertThat(first.closed).isTrue();
    }

    @Test
    void aFailedLoadIsReportedAndRetriedLater() {
        ModelCache cache = new ModelCache(ModelCache.Policy.HOLD_FOR_JVM);
        assertThatThrownBy(() -> cache.acquire(key("fp32"), k -> {
            throw new java.io.FileNotFoundException("file:/models/demo/config.json");
        })).isInstanceOf(ModelLoadException.class)
                .hasMessage("could not load model file:/models/demo: file:/models/demo/config.json");
        assertThat(cache.size()).isZero();
        try (ModelCache.Lease<FakeModel> lease = cache.acquire(key("fp32"), FakeModel::new)) {
            assertThat(lease.get()).isNotNull();
        }
        assertThat(cache.loads()).isEqualTo(1);
    }

    @Test
    void releasePolicyClosesTheModelWhenTheLastLeaseCloses() {
        ModelCache cache = new ModelCache(ModelCache.Policy.RELEASE_WHEN_UNUSED);
        ModelCache.Lease<FakeModel> a = cache.acquire(key("fp32"), FakeModel::new);
        ModelCache.Lease<FakeModel> b = cache.acquire(key("fp32"), FakeModel::new);
        FakeModel model = a.get();
        assertThat(b.get()).isSameAs(model);
        a.close();
        assertThat(model.closed).isFalse();
        b.close();
        assertThat(model.closed).isTrue();
        assertThat(cache.size()).isZero();
        assertThatThrownBy(b::get).hasMessageContaining("is closed");
    }
}
