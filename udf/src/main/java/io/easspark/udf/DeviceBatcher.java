package io.easspark.udf;

import io.easspark.engine.RowStatus;
import io.easspark.engine.model.LavinModel;
import io.easspark.engine.text.LlamaTokenizer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Cross-task batching: the tasks of one executor that answer with the same model (and so the same device) put their
 * encoded rows into one queue, and one worker thread runs them through the engine in full, length-sorted batches.
 * Without it, two tasks on one device each run half-empty batches at the same time and fight over its cores.
 *
 * <p>Tasks still check and encode their own rows (image decoding is per row and parallel); only the engine work is
 * shared. A task waits for its own rows; the worker waits a little ({@code linger}) for a fuller batch while some
 * task that joined has nothing queued yet, since that task is probably encoding its next chunk.
 */
public final class DeviceBatcher {

    /** Batchers are shared by model instance (identity: one per device) and answering options. */
    private record Key(LavinModel model, String modelName, AnswerOptions options) {
    }

    /** Guards the registry and every batcher's state: there are one or two batchers per JVM, never a hot lock. */
    private static final ReentrantLock LOCK = new ReentrantLock();
    private static final Map<Key, DeviceBatcher> ACTIVE = new HashMap<>();
    private static final AtomicLong BATCHES = new AtomicLong();
    private static final AtomicLong ROWS = new AtomicLong();

    private final Key key;
    private final long lingerNanos;
    private final int nVisualTokens;
    private final BatchRunner runner;
    private final RowEncoder errors;
    private final Condition changed = LOCK.newCondition();
    private final List<Waiting> queue = new ArrayList<>();
    private final List<Client> clients = new ArrayList<>();
    private boolean stopped;

    private record Waiting(EncodedRow row, CompletableFuture<AnswerRow> answer, Client client) {
    }

    private DeviceBatcher(Key key, LlamaTokenizer tokenizer, long lingerMillis) {
        this.key = key;
        this.lingerNanos = TimeUnit.MILLISECONDS.toNanos(lingerMillis);
        this.nVisualTokens = key.model().config().nVisualTokens();
        this.runner = new BatchRunner(key.model(), tokenizer, key.modelName(), key.options());
        this.errors = new RowEncoder(key.model(), tokenizer, key.modelName(), key.options());
        Thread worker = new Thread(this::work, "eas-device-batcher-" + key.modelName());
        worker.setDaemon(true);
        worker.start();
    }

    /**
     * Joins (or starts) the batcher for this model and options. Close the returned answerer when the task is done;
     * the last one to leave stops the worker.
     *
     * @param lingerMillis longest wait for a fuller batch (taken from the first task that starts the batcher)
     */
    public static RowAnswerer join(LavinModel model, LlamaTokenizer tokenizer, String modelName, AnswerOptions options,
            long lingerMillis) {
        Key key = new Key(model, modelName, options);
        LOCK.lock();
        try {
            DeviceBatcher b = ACTIVE.computeIfAbsent(key, k -> new DeviceBatcher(k, tokenizer, lingerMillis));
            Client c = b.new Client(new RowEncoder(model, tokenizer, modelName, options));
            b.clients.add(c);
            return c;
        } finally {
            LOCK.unlock();
        }
    }

    /** Engine batches run and rows in them by all batchers of this JVM, for tests and benchmarks. */
    public static long[] totals() {
        return new long[] {BATCHES.get(), ROWS.get()};
    }

    private final class Client implements RowAnswerer {
        private final RowEncoder encoder;
        private int inFlight;
        private boolean closed;

        Client(RowEncoder encoder) {
            this.encoder = encoder;
        }

        @Override
        public List<AnswerRow> answer(List<QuestionRow> rows) {
            AnswerRow[] out = new AnswerRow[rows.size()];
            List<CompletableFuture<AnswerRow>> futures = new ArrayList<>(rows.size());
            List<Waiting> mine = new ArrayList<>();
            for (QuestionRow row : rows) {
                RowEncoder.Checked c = encoder.check(row);
                CompletableFuture<AnswerRow> f = c.rejected() != null ? CompletableFuture.completedFuture(c.rejected())
                        : new CompletableFuture<>();
                if (c.encoded() != null) {
                    mine.add(new Waiting(c.encoded(), f, this));
                }
                futures.add(f);
            }
            LOCK.lock();
            try {
                if (closed) {
                    throw new IllegalStateException("this answerer was closed");
                }
                queue.addAll(mine);
                inFlight += mine.size();
                changed.signalAll();
            } finally {
                LOCK.unlock();
            }
            for (int i = 0; i < out.length; i++) {
                try {
                    out[i] = futures.get(i).get();
                } catch (InterruptedException e) {
                    // Spark kills tasks by interrupting them; the worker still finishes the rows, nobody reads them
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for answers", e);
                } catch (ExecutionException e) {
                    throw new IllegalStateException("the engine failed: " + RowEncoder.message(e.getCause()), e.getCause());
                }
            }
            return List.of(out);
        }

        @Override
        public void close() {
            LOCK.lock();
            try {
                if (closed) {
                    return;
                }
                closed = true;
                clients.remove(this);
                if (clients.isEmpty()) {
                    ACTIVE.remove(key);
                    stopped = true;
                }
                changed.signalAll();
            } finally {
                LOCK.unlock();
            }
        }
    }

    private void work() {
        while (true) {
            List<Waiting> batch = nextBatch();
            if (batch == null) {
                return;
            }
            List<AnswerRow> answers = null;
            Throwable failure = null;
            try {
                answers = runner.run(batch.stream().map(Waiting::row).toList());
            } catch (RuntimeException e) {
                answers = batch.stream().map(w -> errors.failed(w.row().row(), RowStatus.ERROR, RowEncoder.message(e))).toList();
            } catch (Throwable t) { // out of memory and the like: fail the tasks (Spark retries them), keep serving
                failure = t;
            }
            BATCHES.incrementAndGet();
            ROWS.addAndGet(batch.size());
            LOCK.lock();
            try {
                for (Waiting w : batch) {
                    w.client().inFlight--;
                }
                changed.signalAll();
            } finally {
                LOCK.unlock();
            }
            for (int k = 0; k < batch.size(); k++) {
                if (failure != null) {
                    batch.get(k).answer().completeExceptionally(failure);
                } else {
                    batch.get(k).answer().complete(answers.get(k));
                }
            }
        }
    }

    /** The next batch: the shortest queued rows, once the batch is full or no joined task is about to add rows. */
    private List<Waiting> nextBatch() {
        LOCK.lock();
        try {
            while (queue.isEmpty()) {
                if (stopped) {
                    return null;
                }
                changed.awaitUninterruptibly();
            }
            long deadline = System.nanoTime() + lingerNanos;
            int size = key.options().batchSize();
            while (queue.size() < size && !stopped && clients.stream().anyMatch(c -> c.inFlight == 0)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                try {
                    changed.awaitNanos(left);
                } catch (InterruptedException e) {
                    break;
                }
            }
            queue.sort(Comparator.comparingInt(w -> w.row().length(nVisualTokens)));
            List<Waiting> batch = new ArrayList<>(queue.subList(0, Math.min(size, queue.size())));
            queue.subList(0, batch.size()).clear();
            return batch;
        } finally {
            LOCK.unlock();
        }
    }
}
