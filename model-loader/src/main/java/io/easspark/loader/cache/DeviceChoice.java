package io.easspark.loader.cache;

import ai.djl.Device;
import ai.djl.engine.Engine;

/**
 * Picks the device a task runs on: the GPU Spark assigned to the task when there is one (its address from
 * {@code TaskContext.resources()}, passed in as a string so no Spark class reaches here), the CPU otherwise.
 */
public final class DeviceChoice {

    private DeviceChoice() {
    }

    /**
     * @param requested {@code cpu}, {@code gpu} or {@code auto}
     * @param gpuAddress the task's GPU address (e.g. "0"), or null when Spark assigned none
     */
    public static Device choose(String requested, String gpuAddress) {
        return choose(DeviceRequest.parse(requested, "device"), gpuAddress);
    }

    /** @param gpuAddress the task's GPU address (e.g. "0"), or null when Spark assigned none */
    public static Device choose(DeviceRequest requested, String gpuAddress) {
        if (requested == DeviceRequest.CPU) {
            return Device.cpu();
        }
        if (gpuAddress == null || gpuAddress.isBlank()) {
            if (requested == DeviceRequest.GPU) {
                throw new IllegalArgumentException("--device gpu, but Spark assigned this task no GPU "
                        + "(set spark.executor.resource.gpu.amount and spark.task.resource.gpu.amount)");
            }
            return Device.cpu();
        }
        int index;
        try {
            index = Integer.parseInt(gpuAddress.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("GPU address '" + gpuAddress + "' from the discovery script is not an index");
        }
        int visible = Engine.getInstance().getGpuCount();
        if (index >= visible) {
            throw new IllegalArgumentException("Spark assigned GPU " + index + " but libtorch sees " + visible
                    + " GPU(s): the executor runs the CPU build of libtorch (see deploy/README.md)");
        }
        return Device.gpu(index);
    }
}
