/** LaVIN-EAS model math on DJL NDArrays (see shared/DESIGN.md section 1). No Spark, no Hadoop. */
package io.easspark.engine;
