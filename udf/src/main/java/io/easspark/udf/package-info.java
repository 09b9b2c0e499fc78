/** The Spark side: batched mapPartitions inference, the SQL UDF, row schemas (issue 5). */
package io.easspark.udf;
