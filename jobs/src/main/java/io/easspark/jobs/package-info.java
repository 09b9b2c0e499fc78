/** spark-submit entry points: infer, evaluate, calibrate, convert (issues 4-6). */
package io.easspark.jobs;
