"""Annual inspection (年检) of licensed institutions: plans, materials, review, result, Excel in and out."""
