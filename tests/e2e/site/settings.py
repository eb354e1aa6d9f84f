SECRET_SETTING = "do-not-serve"
