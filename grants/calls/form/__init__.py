"""A call's forms: the application form, the eligibility check and the grantee report forms are
sections of typed questions with conditions on earlier answers (models), answers parsed and
judged by type (answers), and built by programme managers in the browser (builder, views)."""
