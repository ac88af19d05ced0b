"""Stage 5, learning: the roadmaps as curricula (order, paths, outlines), self-check quizzes and a learner's progress.
Takes the Library and questions; gives TopicPaths, QuizItems, Grades and progress records.
May import: answer and below."""
