/** Checkpoint formats, Hadoop filesystem sources and the per-JVM model cache (issue 4). Depends on the engine only. */
package io.easspark.loader;
