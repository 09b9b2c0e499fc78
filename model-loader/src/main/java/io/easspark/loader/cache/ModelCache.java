package io.easspark.loader.cache;

import io.easspark.engine.eas.ReparamMode;
import io.easspark.engine.eas.SkipPlan;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One loaded model per key per JVM, shared by every task of an executor (DESIGN.md §4). Concurrent first callers
 * for a key trigger exactly one load; the others wait for it. A failed load is not cached, so a later call retries.
 *
 * <p>Entries are reference-counted through {@link Lease}; under {@link Policy#HOLD_FOR_JVM} (the default for
 * executors, where the next task wants the same model) a model stays loaded when its count drops to zero, under
 * {@link Policy#RELEASE_WHEN_UNUSED} it is closed then.
 */
public final class ModelCache {

    private static final Logger LOG = LoggerFactory.getLogger(ModelCache.class);
    private static final ModelCache GLOBAL = new ModelCache(Policy.HOLD_FOR_JVM);

    /** What to do with a model nobody holds. */
    public enum Policy {
        HOLD_FOR_JVM,
        RELEASE_WHEN_UNUSED
    }

    /**
     * Identifies one loaded model.
     *
     * @param modelUri the model directory (any Hadoop URI)
     * @param device e.g. {@code cpu} or {@code gpu:0}
     * @param dtype compute dtype, e.g. {@code fp32}
     * @param skipPlan the plan in effect, parsed: its spelling never splits one model into two
     * @param reparam the re-parameterisation mode
     */
    // skipPlan and reparam are LaVIN's; a METER entry leaves them null (its skip set is a forward argument)
    public record Key(String modelUri, String device, String dtype, SkipPlan skipPlan, ReparamMode reparam) {
    }

    /** Loads the value for a key; called at most once per key while it is cached. */
    @FunctionalInterface
    public interface Loader<V extends AutoCloseable> {
        V load(Key key) throws Exception;
    }

    /** A hold on a cached model; close it when the task is done with it. */
    public final class Lease<V extends AutoCloseable> implements AutoCloseable {
        private final Entry entry;
        private boolean closed;

        private Lease(Entry entry) {
            this.entry = entry;
        }

        @SuppressWarnings("unchecked")
        public V get() {
            if (closed) {
                throw new IllegalStateException("lease on " + entry.key + " is closed");
            }
            return (V) entry.value();
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                release(entry);
            }
        }
    }

    private final class Entry {
        final Key key;
        final FutureTask<AutoCloseable> task;
        final AtomicInteger holders = new AtomicInteger();

        Entry(Key key, Loader<?> loader) {
            this.key = key;
            this.task = new FutureTask<>(() -> timedLoad(key, loader));
        }

        AutoCloseable value() {
            try {
                return task.get();
            } catch (ExecutionException e) {
                throw new ModelLoadException("could not load model " + key.modelUri() + ": " + e.getCause().getMessage(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ModelLoadException("interrupted while waiting for model " + key.modelUri(), e);
            } catch (CancellationException e) {
                throw new ModelLoadException("load of model " + key.modelUri() + " was cancelled", e);
            }
        }
    }

    private final Map<Key, Entry> entries = new ConcurrentHashMap<>();
    private final Policy policy;
    private final AtomicInteger loads = new AtomicInteger();

    public ModelCache(Policy policy) {
        this.policy = policy;
    }

    /** The JVM's cache (one per executor). */
    public static ModelCache global() {
        return GLOBAL;
    }

    /**
     * Returns a lease on the model for {@code key}, loading it with {@code loader} if no one has. Blocks while
     * another thread loads the same key.
     *
     * @throws ModelLoadException when the load fails (the failure is not cached)
     */
    public <V extends AutoCloseable> Lease<V> acquire(Key key, Loader<V> loader) {
        Entry entry = entries.computeIfAbsent(key, k -> new Entry(k, loader));
        entry.holders.incrementAndGet();
        entry.task.run(); // runs the load in the first caller's thread; a no-op for everyone after
        try {
            entry.value();
            return new Lease<>(entry);
        } catch (ModelLoadException e) {
            entry.holders.decrementAndGet();
            entries.remove(key, entry); // do not cache failures
            throw e;
        }
    }

    private AutoCloseable timedLoad(Key key, Loader<?> loader) throws Exception {
        long t0 = System.nanoTime();
        AutoCloseable value = loader.load(key);
        loads.incrementAndGet();
        LOG.debug("cached model {} on {} ({}, plan {}, reparam {}) after {} ms", key.modelUri(), key.device(), key.dtype(),
                key.skipPlan(), key.reparam() == null ? "-" : key.reparam().cliName(), (System.nanoTime() - t0) / 1_000_000);
        return value;
    }

    private void release(Entry entry) {
        if (entry.holders.decrementAndGet() == 0 && policy == Policy.RELEASE_WHEN_UNUSED) {
            // only the entry still mapped may be closed, and only if nobody took a new lease meanwhile
            if (entries.remove(entry.key, entry)) {
                if (entry.holders.get() == 0) {
                    closeQuietly(entry);
                } else {
                    entries.putIfAbsent(entry.key, entry);
                }
            }
        }
    }

    private static void closeQuietly(Entry entry) {
        try {
            entry.task.get().close();
            LOG.info("released model {} on {}", entry.key.modelUri(), entry.key.device());
        } catch (Exception e) {
            LOG.warn("closing model {} failed: {}", entry.key.modelUri(), e.toString());
        }
    }

    /** Successful loads so far (tests and the load log). */
    public int loads() {
        return loads.get();
    }

    /** Models currently cached. */
    public int size() {
        return entries.size();
    }

    /** Closes every cached model (JVM shutdown, tests). */
    public void clear() {
        for (Entry e : entries.values()) {
            if (e.task.isDone()) {
                closeQuietly(e);
            }
        }
        entries.clear();
    }
}
