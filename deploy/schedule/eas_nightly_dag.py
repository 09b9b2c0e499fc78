"""Airflow DAG: label the day's new questions with eas-spark every night at 02:00.

The task runs `eas infer --resume` through spark-submit: it answers only the input rows whose id is not yet in the
output and appends their answers. That makes Airflow's retries safe and cheap: a retry after a failed or killed
append skips every row already in the output and never duplicates one (each run stages its files under
`_staging/<run>` and moves finished files in; --resume removes what a killed run left; deploy/README.md).

Needs the `apache-airflow-providers-apache-spark` package and a Spark connection (`spark_default` here) whose host
is the master (`yarn`, `spark://host:7077` or `k8s://https://...`) and whose extras give the deploy mode and, if
spark-submit is not on PATH, `spark-home`. The shaded job jar must be readable where spark-submit runs. Paths and
sizes below are examples; see deploy/README.md ("Memory sizing", "Scheduled runs").
"""

from datetime import datetime, timedelta, timezone

try:  # Airflow 3
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.4+
    from airflow import DAG
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

JOB_JAR = "/opt/eas/eas-jobs-spark.jar"
MODEL = "hdfs:///eas/models/lavin-eas-7b"
INPUT = "hdfs:///eas/questions"
OUTPUT = "hdfs:///eas/answers"
EXECUTOR_CORES = 16  # one task per executor: its single model instance uses every core

with DAG(
    dag_id="eas_nightly_label",
    description="eas infer --resume over the growing question set",
    schedule="0 2 * * *",
    start_date=datetime(2025, 1, 1, tzinfo=timezone.utc),
    catchup=False,  # one run labels everything missing; past days need no runs of their own
    max_active_runs=1,  # two runs must not append to the same output at once
    default_args={
        "retries": 2,
        "retry_delay": timedelta(minutes=15),
    },
    dagrun_timeout=timedelta(hours=20),
    tags=["eas-spark"],
) as dag:
    SparkSubmitOperator(
        task_id="label_new_rows",
        conn_id="spark_default",
        application=JOB_JAR,
        java_class="io.easspark.jobs.EasCli",
        name="eas-nightly-label",
        application_args=[
            "infer",
            "--input", INPUT,
            "--model", MODEL,
            "--output", OUTPUT,
            "--device", "cpu",
            "--preview", "0",
            "--resume",
        ],
        num_executors=2,
        executor_cores=EXECUTOR_CORES,
        # The JVM heap; the model's weights (~27 GiB fp32 for 7B) and KV cache are native memory, counted in
        # spark.executor.memoryOverhead instead (YARN and Kubernetes kill an executor that outgrows heap + overhead).
        executor_memory="8g",
        driver_memory="4g",
        conf={
            "spark.executor.memoryOverhead": "36g",
            "spark.task.cpus": str(EXECUTOR_CORES),
            "spark.executor.extraJavaOptions": (
                "-Dai.djl.offline=true"
                f" -Dai.djl.pytorch.num_threads={EXECUTOR_CORES}"
                " -XX:MaxDirectMemorySize=30g"  # fp32 weights sit in JVM direct buffers
            ),
            "spark.executorEnv.DJL_CACHE_DIR": "/tmp/eas-djl",
            "spark.speculation": "false",
        },
        # for s3a:// paths: packages="org.apache.hadoop:hadoop-aws:3.4.1",
    )
