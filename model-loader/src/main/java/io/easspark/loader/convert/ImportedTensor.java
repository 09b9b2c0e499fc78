package io.easspark.loader.convert;

import io.easspark.loader.tensor.DType;
import io.easspark.loader.tensor.TensorData;
import java.io.IOException;

/**
 * One tensor of the native layout and how to produce it from the source files; produced only when the writer
 * reaches it, so an import streams tensor by tensor.
 */
public record ImportedTensor(String name, DType dtype, long[] shape, String source, Producer producer) {

    @FunctionalInterface
    public interface Producer {
        TensorData produce() throws IOException;
    }

    public TensorData produce() throws IOException {
        TensorData t = producer.produce();
        return new TensorData(name, t.dtype(), t.shape(), t.data());
    }
}
