/**
 * Choosing the skip plan (DESIGN.md §2): the teacher-forced answer loss of a plan ({@link
 * io.easspark.engine.search.AnswerLoss}) and the search strategies that ask a {@link
 * io.easspark.engine.search.PlanEvaluator} for the losses of many plans at a time — EAS's policy gradient, the
 * leave-one-out ranking and greedy growth. The strategies know nothing of models, so a Spark job can evaluate plans
 * across a cluster.
 */
package io.easspark.engine.search;
